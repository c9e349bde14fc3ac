package dev.plank.protocol.v1;

import dev.plank.hub.Refusal;
import dev.plank.pubsub.PubSubError;
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
  UNAUTHORIZED,
  /** The policy does not allow this join, broadcast or track. */
  FORBIDDEN,
  NOT_JOINED,
  TOO_MANY_TOPICS,
  TOO_MANY_PRESENCES,
  TOO_LARGE,
  /** Delivered on this node only: the database did not take it for the others. */
  UNAVAILABLE;

  /** As the wire spells it, {@code bad_filter}; the same under every default locale. */
  String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static ErrorCode of(PubSubError error) {
    return switch (error) {
      case BAD_REQUEST -> BAD_REQUEST;
      case FORBIDDEN -> FORBIDDEN;
      case NOT_JOINED -> NOT_JOINED;
      case TOO_MANY_TOPICS -> TOO_MANY_TOPICS;
      case TOO_MANY_PRESENCES -> TOO_MANY_PRESENCES;
      case TOO_LARGE -> TOO_LARGE;
      case RATE_LIMITED -> RATE_LIMITED;
      case UNAVAILABLE -> UNAVAILABLE;
    };
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
