package dev.plank.capture.wal;

import dev.plank.capture.ChangeSource;
import dev.plank.config.CaptureSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;

/**
 * Capture from the write-ahead log ({@code PLANK_CAPTURE=wal}). One node at a time, the {@link
 * WalLeader}, reads the slot and appends to the change log, notifying each entry as the trigger
 * would; every node (the leader too) delivers from the log through the same listener as in trigger
 * mode ({@code delivery}), so cursors, gap replay and de-duplication are unchanged. What the
 * writers' commits no longer carry: a trigger, a log row, and a NOTIFY.
 *
 * <p>No mutable state of its own: the leader runs on its thread, delivery on the hub's context.
 */
public final class WalSource implements ChangeSource {
  private final Vertx vertx;
  private final Pool pool;
  private final ChangeSource delivery;
  private final WalLeader leader;

  public WalSource(Vertx vertx, Pool pool, ChangeSource delivery, WalLeader leader) {
    this.vertx = vertx;
    this.pool = pool;
    this.delivery = delivery;
    this.leader = leader;
  }

  /**
   * Checks the server first (a setting or privilege missing is one clear line at start-up), and
   * completes only once the slot exists: from then on every commit is captured.
   */
  @Override
  public Future<Void> start() {
    return check(pool)
        .compose(
            v ->
                vertx.executeBlocking(
                    () -> {
                      leader.createSlot();
                      return null;
                    }))
        .compose(
            v -> {
              leader.start();
              return delivery.start();
            });
  }

  /** Fails with one line when the server cannot serve WAL capture to this role. */
  static Future<Void> check(Pool pool) {
    return pool.query(
            "SELECT current_setting('wal_level'), current_user::text, (SELECT rolreplication OR"
                + " rolsuper FROM pg_roles WHERE rolname = current_user)")
        .execute()
        .map(
            rows -> {
              Row row = rows.iterator().next();
              String walLevel = row.getString(0);
              if (!"logical".equals(walLevel)) {
                throw new IllegalStateException(
                    CaptureSettings.CAPTURE
                        + "=wal needs wal_level=logical on the database server (it is '"
                        + walLevel
                        + "'): set it in postgresql.conf and restart PostgreSQL, or use "
                        + CaptureSettings.CAPTURE
                        + "=trigger");
              }
              if (!Boolean.TRUE.equals(row.getBoolean(2))) {
                throw new IllegalStateException(
                    CaptureSettings.CAPTURE
                        + "=wal needs a database role with the REPLICATION attribute, and '"
                        + row.getString(1)
                        + "' has not: ALTER ROLE ... REPLICATION, or use "
                        + CaptureSettings.CAPTURE
                        + "=trigger");
              }
              return null;
            });
  }

  @Override
  public boolean isLive() {
    return delivery.isLive();
  }

  @Override
  public long newestSeq() {
    return delivery.newestSeq();
  }

  @Override
  public Future<Void> close() {
    return vertx
        .executeBlocking(
            () -> {
              leader.close();
              return null;
            })
        .transform(v -> delivery.close());
  }
}
