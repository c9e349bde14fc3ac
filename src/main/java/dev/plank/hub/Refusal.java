package dev.plank.hub;

/** Why the hub refused a subscribe request; each protocol names it on its wire. */
public enum Refusal {
  UNKNOWN_CHANNEL,
  BAD_FILTER,
  TOO_MANY_SUBSCRIPTIONS,
  /** Too many snapshots and replays wait for a read slot: retry later. */
  BUSY,
  /** The snapshot or replay query ran past PLANK_QUERY_TIMEOUT: the subscription is dropped. */
  QUERY_TIMEOUT
}
