package dev.plank.hub;

/** Why the hub refused a subscribe request; each protocol names it on its wire. */
public enum Refusal {
  UNKNOWN_CHANNEL,
  BAD_FILTER,
  TOO_MANY_SUBSCRIPTIONS
}
