package dev.plank.hub;

/**
 * How a subscriber receives a change, given the rows its bound filter lets it see. Subscribers
 * without a bound filter only ever get {@link #AS_IS} or {@link #NONE}.
 */
enum Shape {
  /** Not at all. */
  NONE,
  /** As the change happened. */
  AS_IS,
  /** An UPDATE that moved a row into the bound: an INSERT of the new row, without {@code old}. */
  AS_INSERT,
  /**
   * An UPDATE that moved a row out of the bound: a DELETE whose {@code data} holds only the primary
   * key, so the new values stay unseen.
   */
  AS_KEY_DELETE,
  /** As {@link #AS_KEY_DELETE}, for a table without a primary key: the client must reload. */
  RESYNC
}
