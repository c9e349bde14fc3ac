package dev.plank.protocol.v1;

import dev.plank.hub.Refusal;
import java.util.Locale;

/** The {@code code} of a v1 {@code error} reply. */
enum ErrorCode {
  BAD_JSON,
  BAD_REQUEST,
  UNKNOWN_ACTION,
  UNKNOWN_CHANNEL,
  BAD_FILTER,
  TOO_MANY_SUBSCRIPTIONS,
  RATE_LIMITED,
  BUSY,
  QUERY_TIMEOUT,
  /** No valid token where one is needed, a refused token, or a refused renewal. */
  UNAUTHORIZED;

  /** As the wire spells it, {@code bad_filter}; the same under every default locale. */
  String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static ErrorCode of(Refusal refusal) {
    return switch (refusal) {
      case UNKNOWN_CHANNEL -> UNKNOWN_CHANNEL;
      case BAD_FILTER -> BAD_FILTER;
      case TOO_MANY_SUBSCRIPTIONS -> TOO_MANY_SUBSCRIPTIONS;
      case BUSY -> BUSY;
      case QUERY_TIMEOUT -> QUERY_TIMEOUT;
    };
  }
}
