package dev.plank.api;

import java.time.OffsetDateTime;

/** A page of the item list; {@code since} is null when every item qualifies. */
record ListQuery(int limit, long offset, OffsetDateTime since) {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 1000;
}
