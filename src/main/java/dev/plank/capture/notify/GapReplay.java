package dev.plank.capture.notify;

import dev.plank.capture.Change;
import dev.plank.capture.ChangeSink;
import dev.plank.capture.History;
import dev.plank.capture.HistoryRead;
import dev.plank.capture.OnContext;
import dev.plank.capture.PgSnapshot;
import dev.plank.capture.Position;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.pgclient.PgConnection;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens between a LISTEN being in place and its connection going live. On the first
 * connection it fixes the starting position; after an outage it publishes from the log, in seq
 * order, the committed changes this node has not published yet, before any new live change.
 *
 * <p>Owned by the trigger source's context (the hub's event loop).
 */
final class GapReplay {
  private static final Logger LOG = LoggerFactory.getLogger(GapReplay.class);
  private static final int PAGE = 1000;
  private static final String POSITION =
      "SELECT pg_current_snapshot()::text, GREATEST((SELECT coalesce(max(seq), 0) FROM"
          + " plank.changes), (SELECT pruned_seq FROM plank.log_state))";

  private final Context context;
  private final History history;
  private final Deduplicator dedup;
  private final ChangeSink sink;

  GapReplay(Context context, History history, Deduplicator dedup, ChangeSink sink) {
    this.context = context;
    this.history = history;
    this.dedup = dedup;
    this.sink = sink;
  }

  /**
   * Completes when {@code conn} may go live. It serves that connection only ({@code current} says
   * whether it still is the source's): if the connection is replaced meanwhile, the replay stops
   * and the next connection's replay starts over from the frontier, so two never interleave.
   */
  Future<Void> beforeLive(PgConnection conn, BooleanSupplier current) {
    assert OnContext.owns(context);
    return dedup.hasStarted() ? catchUp(current) : startingPosition(conn);
  }

  private Future<Void> startingPosition(PgConnection conn) {
    return onContext(conn.query(POSITION).execute())
        .map(
            rows -> {
              var row = rows.iterator().next();
              PgSnapshot snapshot = PgSnapshot.parse(row.getString(0));
              dedup.start(snapshot, new Position(history.epoch(), row.getLong(1), snapshot.xmin()));
              return null;
            });
  }

  private Future<Void> catchUp(BooleanSupplier current) {
    Position from = dedup.frontier();
    return onContext(history.open())
        .compose(
            read -> {
              if (!current.getAsBoolean()) return abandon(read);
              if (read.expired(from)) {
                LOG.error(
                    "Changes committed during the listener outage were pruned from the log before"
                        + " they could be replayed; asking every subscriber to resync");
                sink.resyncAll("cursor_expired");
                dedup.skipTo(read.position());
                return finish(read, 0);
              }
              return replayPage(current, read, from, -1, 0);
            });
  }

  private Future<Void> replayPage(
      BooleanSupplier current, HistoryRead read, Position from, long afterSeq, long replayed) {
    return onContext(read.changesAfter(from, null, afterSeq, PAGE))
        .compose(
            page -> {
              if (!current.getAsBoolean()) return abandon(read);
              long sent = 0;
              for (Change change : page) {
                if (!dedup.admitReplayed(change)) continue;
                sink.publish(change);
                sent++;
              }
              long total = replayed + sent;
              if (page.size() < PAGE) return finish(read, total);
              return replayPage(current, read, from, page.get(page.size() - 1).seq(), total);
            },
            err -> read.close().transform(v -> Future.failedFuture(err)));
  }

  private Future<Void> abandon(HistoryRead read) {
    return read.close().transform(v -> Future.failedFuture("connection replaced"));
  }

  private Future<Void> finish(HistoryRead read, long replayed) {
    dedup.caughtUp(read.seam());
    if (replayed > 0) {
      LOG.info("Replayed {} changes committed while the listener was away", replayed);
    }
    return read.close();
  }

  private <T> Future<T> onContext(Future<T> future) {
    return OnContext.of(context, future);
  }
}
