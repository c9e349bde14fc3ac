package dev.plank.capture;

import dev.plank.db.TableRef;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One read-only, repeatable-read transaction over the log: every query in it sees the same
 * snapshot, so a replay of many pages is consistent, and {@link #seam()} says which live changes it
 * already covered. Always {@link #close()} it: it holds a pooled connection.
 */
final class LogReader implements HistoryRead {
  private static final String BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  // The first query fixes the snapshot for the whole transaction.
  private static final String STATE =
      """
      SELECT pg_current_snapshot()::text, s.pruned_seq, s.pruned_xid::text,
             -- A log pruned empty still starts after what was pruned.
             GREATEST((SELECT coalesce(max(seq), 0) FROM plank.changes), s.pruned_seq)
      FROM plank.log_state s
      """;
  private static final String CHANGES =
      LogEntries.select(7)
          + """
      WHERE c.seq > $3 AND c.seq <> $4 AND (c.seq > $4 OR c.xid >= $5::text::xid8)
        AND ($1::text IS NULL OR (c.schema_name = $1 AND c.table_name = $2))
      ORDER BY c.seq LIMIT $6
      """;

  private final SqlConnection conn;
  private final LogEntries entries;
  private final String epoch;
  private PgSnapshot snapshot;
  private long prunedSeq; // the highest seq pruning removed
  private long prunedXid; // the highest xid pruning removed
  private long lastSeq;

  private LogReader(SqlConnection conn, LogEntries entries, String epoch) {
    this.conn = conn;
    this.entries = entries;
    this.epoch = epoch;
  }

  static Future<HistoryRead> begin(
      SqlConnection conn, LogEntries entries, String epoch, Duration queryTimeout) {
    LogReader reader = new LogReader(conn, entries, epoch);
    return conn.query(BEGIN)
        .execute()
        // A number of milliseconds from the settings, never client text; local to this read.
        .compose(
            v ->
                conn.query("SET LOCAL statement_timeout = " + Math.max(1, queryTimeout.toMillis()))
                    .execute())
        .compose(v -> conn.query(STATE).execute())
        .map(
            rows -> {
              Row row = rows.iterator().next();
              reader.snapshot = PgSnapshot.parse(row.getString(0));
              reader.prunedSeq = row.getLong(1);
              reader.prunedXid = Long.parseLong(row.getString(2));
              reader.lastSeq = row.getLong(3);
              return (HistoryRead) reader;
            })
        // Never hand the pool back a connection still inside this transaction.
        .recover(
            err ->
                conn.query("ROLLBACK")
                    .execute()
                    .transform(v -> conn.close())
                    .transform(v -> Future.failedFuture(err)));
  }

  @Override
  public PgSnapshot seam() {
    return snapshot;
  }

  @Override
  public SqlConnection connection() {
    return conn;
  }

  /** Every change this snapshot does not see has {@code xid >= snapshot xmin}. */
  @Override
  public Position position() {
    return new Position(epoch, lastSeq, snapshot.xmin());
  }

  /**
   * Another epoch's; or pruning removed a change that resuming from it would need; or it lies
   * beyond the log, so it was not issued by this log (a restored or recreated database): the
   * changes it would skip cannot be known, and the client must reload rather than miss them. A real
   * cursor never does: its own change had committed, so this read sees it.
   */
  @Override
  public boolean expired(Position position) {
    return !position.epoch().equals(epoch)
        || position.seq() < prunedSeq
        || position.xmin() <= prunedXid
        || position.seq() > lastSeq;
  }

  @Override
  public Future<List<Change>> changesAfter(
      Position from, TableRef table, long afterSeq, int limit) {
    String schema = table == null ? null : table.schema();
    String name = table == null ? null : table.name();
    return conn.preparedQuery(CHANGES)
        .execute(
            Tuple.of(
                schema,
                name,
                afterSeq,
                from.seq(),
                Long.toString(from.xmin()),
                (long) limit,
                entries.maxChangeBytes()))
        .map(
            rows -> {
              List<Change> page = new ArrayList<>(rows.size());
              for (Row row : rows) page.add(entries.read(row));
              return page;
            });
  }

  /** Ends the transaction and returns the connection to the pool. */
  @Override
  public Future<Void> close() {
    return conn.query("COMMIT").execute().transform(v -> conn.close());
  }
}
