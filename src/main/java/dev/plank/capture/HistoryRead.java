package dev.plank.capture;

import dev.plank.db.TableRef;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;

/**
 * One consistent read of a {@link History}: every query in it sees the same database snapshot, so a
 * replay of many pages is consistent, and {@link #seam()} tells which live changes the read already
 * covered. Always {@link #close()} it: it holds a pooled connection.
 */
public interface HistoryRead {
  /** Which transactions this read sees; a live change whose transaction it sees was part of it. */
  PgSnapshot seam();

  /**
   * A position that covers everything this read sees, for a client that starts from a read of a
   * table in the same transaction.
   */
  Position position();

  /**
   * Whether resuming from {@code position} could miss a change: it is older than the history's
   * retention, or of another epoch.
   */
  boolean expired(Position position);

  /**
   * The next page of changes after {@code from} (never the position's own change, which the client
   * has; other changes it has may come again and are dropped by seq), in seq order, continuing
   * after {@code afterSeq} (the last seq of the previous page, or -1).
   *
   * @param table one table's changes, or {@code null} for every table's
   */
  Future<List<Change>> changesAfter(Position from, TableRef table, long afterSeq, int limit);

  /** The read's connection, inside its transaction: a snapshot of a table reads through it. */
  SqlConnection connection();

  /** Ends the read and returns its connection. */
  Future<Void> close();
}
