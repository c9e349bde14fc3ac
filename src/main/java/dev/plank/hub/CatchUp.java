package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.Change;
import dev.plank.capture.History;
import dev.plank.capture.HistoryRead;
import dev.plank.capture.OnContext;
import dev.plank.capture.Position;
import dev.plank.db.TableInfo;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one new subscription up to date, by a replay of the history from a cursor ({@link
 * LogReplay}) or by a snapshot of the table ({@link SnapshotRead}), while live changes for it wait
 * ({@link WaitingChanges}); then hands it to the live stream. The read's snapshot decides the seam:
 * a waiting change whose transaction the read already saw is dropped, every other one is sent, so
 * nothing is missed or doubled between the two.
 *
 * <p>Owned by the hub's context. Pages are paced by the client's outbound queue ({@link Pacer}).
 */
final class CatchUp {
  private static final Logger log = LoggerFactory.getLogger(CatchUp.class);
  // Bytes sent before waiting for the client to make room, for replay slices and snapshot pages.
  static final int SLICE_BYTES = 256 * 1024;

  private final Subscription subscription;
  private final TableInfo table;
  private final Position since; // null for a snapshot
  private final JsonNode requestId; // echoed in snapshot pages
  private final History history;
  private final WaitingChanges waiting;
  private final Pacer pacer;
  private final Context context; // the hub's, which owns every field below
  private final Runnable onDone; // tells the hub a read slot is free
  private final Runnable onTimeout; // tells the hub the query timed out: the subscription ends
  private HistoryRead read;
  private SnapshotRead snapshot; // a snapshot's, closed when done
  private boolean finished;

  CatchUp(
      Subscription subscription,
      TableInfo table,
      JsonNode requestId,
      Position since,
      Context context,
      History history,
      Duration stallTimeout,
      Runnable onDone,
      Runnable onTimeout,
      Runnable onDrainTimeout) {
    this.subscription = subscription;
    this.table = table;
    this.since = since;
    this.requestId = requestId;
    this.history = history;
    this.onDone = onDone;
    this.onTimeout = onTimeout;
    this.context = context;
    // The read is far behind the live stream; the client resumes later from its cursor.
    this.waiting = new WaitingChanges(subscription.subscriber::tooSlow);
    this.pacer =
        new Pacer(
            context,
            subscription.subscriber,
            stallTimeout,
            this::active,
            this::failed,
            this::done,
            onDrainTimeout);
  }

  Subscriber subscriber() {
    return subscription.subscriber;
  }

  /** False once the subscription was replaced or removed, or its client left: no read needed. */
  boolean wanted() {
    return active();
  }

  /** A live change for this subscription that arrived while the read runs. */
  void hold(Change change) {
    waiting.hold(change);
  }

  void start() {
    assert OnContext.owns(context);
    pacer.step(
        history.open(),
        opened -> {
          read = opened;
          if (!active()) {
            done();
          } else if (since == null) {
            snapshot =
                new SnapshotRead(
                    subscription, table, requestId, read, pacer, this::active, this::done);
            snapshot.start();
          } else if (read.expired(since)) {
            resync("cursor_expired");
          } else {
            new LogReplay(subscription, read, since, pacer, this::active, this::done).start();
          }
        });
  }

  private void resync(String reason) {
    subscription.subscriber.resync(table.ref().channel(), reason);
    finish(true);
  }

  private void failed(Throwable err) {
    if (finished) return;
    if (err instanceof PgException pg && "57014".equals(pg.getSqlState()) && active()) {
      // statement_timeout (PLANK_QUERY_TIMEOUT): a resync would only run the same query again.
      subscription.subscriber.rejected(
          requestId,
          Refusal.QUERY_TIMEOUT,
          "the "
              + (since == null ? "snapshot" : "replay")
              + " of "
              + table.ref().channel()
              + " took longer than the server allows; the subscription was dropped (narrow its"
              + " filter, or subscribe without a snapshot)");
      onTimeout.run();
      done();
      return;
    }
    log.warn(
        "Catching up a subscription to {} failed: {}; asking the client to resync",
        table.ref().channel(),
        err.getMessage());
    if (active()) resync("replay_failed");
    else done();
  }

  /** The read ended, or the client went away. */
  private void done() {
    finish(false);
  }

  /**
   * Ends the read and goes live: sends the waiting changes the read did not cover, or all of them
   * when the client reloads anyway.
   */
  private void finish(boolean all) {
    assert OnContext.owns(context);
    if (finished) return;
    finished = true;
    release();
    onDone.run();
    if (subscription.catchUp != this) return;
    subscription.catchUp = null;
    if (!active() || waiting.overflowed()) return;
    waiting.drainTo(
        change -> {
          if (all || !read.seam().sees(change.xid())) {
            subscription.deliver(change);
          }
        });
    // Notifications still on their way may carry changes the read already sent; the hub drops
    // them with this snapshot from now on.
    if (!all) subscription.seam = read.seam();
  }

  /** Closes the snapshot's statement, then ends the read. */
  private void release() {
    if (read == null) return;
    Future<Void> closed = snapshot == null ? Future.succeededFuture() : snapshot.close();
    closed.onComplete(r -> read.close());
  }

  private boolean active() {
    return subscription.slot >= 0 && subscription.subscriber.isOpen() && !waiting.overflowed();
  }
}
