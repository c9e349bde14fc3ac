package dev.plank.hub;

/** The {@code code} of an {@code error} reply, as the wire protocol names it. */
public enum ErrorCode {
  BAD_JSON,
  BAD_REQUEST,
  UNKNOWN_ACTION,
  UNKNOWN_CHANNEL,
  BAD_FILTER,
  TOO_MANY_SUBSCRIPTIONS;

  public String wireName() {
    return name().toLowerCase();
  }
}
