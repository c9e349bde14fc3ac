package dev.plank.capture;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;

/**
 * The trigger log, {@code plank.changes}, as a {@link History}; it also prunes it. Reads happen in
 * a {@link LogReader}: a read-only repeatable-read transaction whose snapshot tells which live
 * changes the read already covered. Its positions are untagged, as cursors always were.
 */
public final class ChangeLog implements History {
  // An advisory lock key of Plank's own, so that one node at a time prunes.
  private static final long PRUNE_LOCK = 0x706c616e6b70726eL;
  private static final int PRUNE_BATCH = 100_000;
  private static final String PRUNE =
      """
      WITH bound AS (
        SELECT LEAST(
          GREATEST(
            (SELECT seq FROM plank.changes WHERE ts < now() - make_interval(secs => $1)
              ORDER BY ts DESC LIMIT 1),
            (SELECT max(seq) FROM plank.changes) - $2),
          (SELECT min(seq) FROM plank.changes) + $3) AS seq
      ), gone AS (
        DELETE FROM plank.changes c USING bound WHERE c.seq <= bound.seq RETURNING c.seq, c.xid
      )
      UPDATE plank.log_state SET
        pruned_seq = GREATEST(pruned_seq, (SELECT max(seq) FROM gone)),
        -- max(xid8) needs PostgreSQL 15; ordering works from 13 on.
        pruned_xid = GREATEST(pruned_xid, (SELECT xid FROM gone ORDER BY xid DESC LIMIT 1))
      RETURNING (SELECT count(*) FROM gone)
      """;

  private final Pool pool;
  private final LogEntries entries;
  private final Duration queryTimeout;

  /**
   * @param queryTimeout the {@code statement_timeout} of each query in a read (replays and
   *     snapshots), so that no client's query holds a pooled connection for long
   */
  public ChangeLog(Pool pool, LogEntries entries, Duration queryTimeout) {
    this.pool = pool;
    this.entries = entries;
    this.queryTimeout = queryTimeout;
  }

  @Override
  public String epoch() {
    return Position.UNTAGGED;
  }

  /** Opens a read of the log (and of captured tables) at one snapshot. */
  @Override
  public Future<HistoryRead> open() {
    return pool.getConnection()
        .compose(conn -> LogReader.begin(conn, entries, epoch(), queryTimeout));
  }

  /**
   * Deletes changes older than {@code retention} or beyond the newest {@code maxRows}, at most a
   * batch at a time, unless another node is pruning right now.
   *
   * @return how many changes were deleted
   */
  public Future<Long> prune(Duration retention, long maxRows) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery("SELECT pg_try_advisory_xact_lock($1)")
                .execute(Tuple.of(PRUNE_LOCK))
                .compose(
                    locked -> {
                      if (!locked.iterator().next().getBoolean(0))
                        return Future.succeededFuture(0L);
                      return conn.preparedQuery(PRUNE)
                          .execute(
                              Tuple.of(retention.toMillis() / 1000.0, maxRows, (long) PRUNE_BATCH))
                          .map(rows -> count(rows.iterator().next()));
                    }));
  }

  private static long count(Row row) {
    Long n = row.getLong(0);
    return n == null ? 0 : n;
  }
}
