package dev.plank.capture.notify;

import dev.plank.capture.Backoff;
import dev.plank.capture.Change;
import dev.plank.capture.ChangeSink;
import dev.plank.capture.ChangeSource;
import dev.plank.capture.History;
import dev.plank.capture.LogEntries;
import dev.plank.capture.OnContext;
import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture by trigger and NOTIFY: the trigger writes each change to the log and notifies it at
 * commit, in commit order, to the node's LISTEN connection ({@link ListenConnection}). This class
 * keeps that order: a change too large for a notification is fetched from the log ({@link
 * PayloadReader}) and holds back those behind it. After an outage the log fills the gap before any
 * new live change ({@link GapReplay}); {@link Deduplicator} keeps anything from going out twice.
 *
 * <p>All mutable state is owned by {@code context}, the hub's event loop.
 */
public final class TriggerSource implements ChangeSource {
  private static final Logger LOG = LoggerFactory.getLogger(TriggerSource.class);

  private final Context context;
  private final ChangeSink sink;
  private final PlankMetrics metrics;
  private final PayloadReader payloads;
  private final Deduplicator dedup = new Deduplicator();
  private final GapReplay replay;
  private final ListenConnection connection;
  // Changes in notification (= commit) order; a referenced change holds back those behind it.
  private final ArrayDeque<Future<Change>> pending = new ArrayDeque<>();
  private Promise<Void> firstLive; // completed once the first LISTEN is live
  private volatile boolean live; // written on the context, read by /ready
  private volatile long newestSeq = -1; // written on the context, read by the lag monitor

  /**
   * @param setting the variable {@code options} came from, for the line that refuses a listener
   *     connection that receives no notifications
   */
  public TriggerSource(
      Vertx vertx,
      Context context,
      PgConnectOptions options,
      String setting,
      Pool pool,
      History history,
      ChangeSink sink,
      PlankMetrics metrics,
      LogEntries entries,
      Backoff backoff) {
    this.context = context;
    this.sink = sink;
    this.metrics = metrics;
    this.payloads = new PayloadReader(vertx, pool, entries);
    this.replay = new GapReplay(context, history, dedup, sink);
    this.connection =
        new ListenConnection(
            vertx, context, options, setting, pool, metrics, backoff, new Events());
  }

  /** Connects and listens; the future completes once the first LISTEN is live. */
  @Override
  public Future<Void> start() {
    Promise<Void> started = Promise.promise();
    context.runOnContext(
        v -> {
          firstLive = started;
          connection.start();
        });
    return started.future();
  }

  @Override
  public boolean isLive() {
    return live;
  }

  @Override
  public long newestSeq() {
    return newestSeq;
  }

  @Override
  public Future<Void> close() {
    context.runOnContext(v -> live = false);
    return connection.close();
  }

  private final class Events implements ListenConnection.Events {
    @Override
    public Future<Void> listening(PgConnection conn) {
      return replay.beforeLive(conn, () -> connection.isCurrent(conn));
    }

    @Override
    public void live() {
      assert OnContext.owns(context);
      live = true;
      // Where the start or the gap replay left the frontier: what this node has seen so far.
      newestSeq = Math.max(newestSeq, dedup.frontier().seq());
      sink.listenerUp();
      drain();
      firstLive.tryComplete();
    }

    @Override
    public void notification(String payload) {
      metrics.changeReceived();
      Future<Change> change = payloads.read(payload);
      if (pending.isEmpty() && live && change.succeeded()) {
        deliver(change.result());
        return;
      }
      pending.add(change);
      change.onComplete(r -> drain());
    }

    @Override
    public void refused(Throwable reason) {
      firstLive.tryFail(reason);
    }

    @Override
    public void lost() {
      assert OnContext.owns(context);
      live = false;
      // All of it committed before the next connection's gap replay reads the log, which has it.
      pending.clear();
      sink.listenerDown();
    }
  }

  private void drain() {
    if (Vertx.currentContext() != context) {
      context.runOnContext(v -> drain());
      return;
    }
    while (live && !pending.isEmpty() && pending.peek().isComplete()) {
      Future<Change> head = pending.poll();
      if (head.succeeded()) {
        deliver(head.result());
      } else {
        // Skipping it would lose it for good; start over from the log instead, which has it.
        LOG.error(
            "A change could not be read ({}); reconnecting to replay it from the log",
            head.cause().getMessage());
        // Not live from here on: a later notification of this connection must not be published
        // ahead of the failed one, or the frontier would pass it and the gap replay skip it.
        live = false;
        sink.listenerDown();
        pending.clear();
        connection.restart();
        return;
      }
    }
  }

  /** A live change, unless the catch-up after the last outage already covered it. */
  private void deliver(Change change) {
    assert OnContext.owns(context);
    if (dedup.admitLive(change)) {
      newestSeq = Math.max(newestSeq, change.seq());
      sink.publish(change);
    }
  }
}
