package dev.plank.pubsub;

/** Why a broadcast or presence request was refused. */
public enum PubSubError {
  /** A missing or over-long topic, event or key. */
  BAD_REQUEST,
  /** The policy does not allow it. */
  FORBIDDEN,
  /** Broadcast or track on a topic the connection has not joined. */
  NOT_JOINED,
  /** The connection joined {@code PLANK_MAX_TOPICS} topics. */
  TOO_MANY_TOPICS,
  /** {@code PLANK_MAX_PRESENCE_PER_TOPIC} or {@code PLANK_MAX_PRESENCE_PER_CONNECTION}. */
  TOO_MANY_PRESENCES,
  /** Over {@code PLANK_MAX_BROADCAST_BYTES}, or too big for NOTIFY with its envelope. */
  TOO_LARGE,
  /** Over {@code PLANK_BROADCAST_RATE}. */
  RATE_LIMITED,
  /** Delivered on this node, but the database did not take it for the other nodes. */
  UNAVAILABLE
}
