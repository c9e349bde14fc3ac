package dev.plank.capture;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * One read-only, repeatable-read transaction over the log: every query in it sees the same
 * snapshot, so a replay of many pages is consistent, and {@link #snapshot()} says which live
 * changes it already covered. Always {@link #close()} it: it holds a pooled connection.
 */
public final class LogReader {
  private static final String BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  // The first query fixes the snapshot for the whole transaction.
  private static final String STATE =
      """
      SELECT pg_current_snapshot()::text, s.pruned_seq, s.pruned_xid::text,
             (SELECT coalesce(max(seq), 0) FROM plank.changes)
      FROM plank.log_state s
      """;
  private static final String CHANGES =
      """
      SELECT plank.change_json(c) FROM plank.changes c
      WHERE c.seq > $3 AND c.seq <> $4 AND (c.seq > $4 OR c.xid >= $5::text::xid8)
        AND ($1::text IS NULL OR (c.schema_name = $1 AND c.table_name = $2))
      ORDER BY c.seq LIMIT $6
      """;

  private final SqlConnection conn;
  private final ChangeDecoder decoder;
  private PgSnapshot snapshot;
  private Cursor pruned;
  private long lastSeq;

  private LogReader(SqlConnection conn, ChangeDecoder decoder) {
    this.conn = conn;
    this.decoder = decoder;
  }

  static Future<LogReader> begin(SqlConnection conn, ChangeDecoder decoder) {
    LogReader reader = new LogReader(conn, decoder);
    return conn.query(BEGIN)
        .execute()
        .compose(v -> conn.query(STATE).execute())
        .map(
            rows -> {
              Row row = rows.iterator().next();
              reader.snapshot = PgSnapshot.parse(row.getString(0));
              reader.pruned = new Cursor(row.getLong(1), Long.parseLong(row.getString(2)));
              reader.lastSeq = row.getLong(3);
              return reader;
            })
        // Never hand the pool back a connection still inside this transaction.
        .recover(
            err ->
                conn.query("ROLLBACK")
                    .execute()
                    .transform(v -> conn.close())
                    .transform(v -> Future.failedFuture(err)));
  }

  public PgSnapshot snapshot() {
    return snapshot;
  }

  public SqlConnection connection() {
    return conn;
  }

  /**
   * A cursor that covers everything this snapshot sees, for a client that starts from a read of the
   * table: every change it does not see has {@code xid >= snapshot xmin}.
   */
  public Cursor position() {
    return new Cursor(lastSeq, snapshot.xmin());
  }

  /** Whether pruning removed a change that resuming from {@code cursor} would need. */
  public boolean expired(Cursor cursor) {
    return cursor.seq() < pruned.seq() || cursor.xmin() <= pruned.xmin();
  }

  /**
   * The next page of changes after {@code cursor} (never the cursor's own change, which the client
   * has; other changes it has may come again and are dropped by seq), in seq order, continuing
   * after {@code afterSeq} (the last seq of the previous page, or -1).
   *
   * @param schema the table's schema, or {@code null} for changes of every table
   */
  public Future<List<Change>> changesAfter(
      Cursor cursor, String schema, String table, long afterSeq, int limit) {
    return conn.preparedQuery(CHANGES)
        .execute(
            Tuple.of(
                schema, table, afterSeq, cursor.seq(), Long.toString(cursor.xmin()), (long) limit))
        .map(
            rows -> {
              List<Change> page = new ArrayList<>(rows.size());
              for (Row row : rows) page.add(decode(row.getString(0)));
              return page;
            });
  }

  private Change decode(String payload) {
    try {
      return decoder.decode(decoder.parse(payload));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable change in the log: " + e.getMessage(), e);
    }
  }

  /** Ends the transaction and returns the connection to the pool. */
  public Future<Void> close() {
    return conn.query("COMMIT").execute().transform(v -> conn.close());
  }
}
