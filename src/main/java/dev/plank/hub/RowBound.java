package dev.plank.hub;

import dev.plank.db.TableInfo;

/**
 * The rows of a channel a subscriber may read, as its policy grants them: decided by the auth layer
 * for one principal and channel, compiled by the hub once it knows the table. Implementations are
 * immutable and may be called on any thread.
 */
@FunctionalInterface
public interface RowBound {
  /** Every row. */
  RowBound ALL = table -> Filter.ALL;

  /** No row: the channel is answered as if it did not exist. */
  RowBound NONE = table -> null;

  /** The bound filter on {@code table} ({@link Filter#ALL} for every row), or null to deny. */
  Filter on(TableInfo table);
}
