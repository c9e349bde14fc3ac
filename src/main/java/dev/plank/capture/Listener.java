package dev.plank.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.db.SchemaInstaller;
import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgNotification;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's single LISTEN connection. Turns notifications into {@link Change}s and hands them to
 * the sink in commit order, fetching from the change log the ones too large for a notification.
 * Reconnects with capped exponential back-off when the connection is lost, then replays from the
 * log what was committed while it was gone, before any new live change, so that subscribers miss
 * nothing and see nothing twice.
 *
 * <p>All mutable state is owned by {@code context}, the hub's event loop.
 */
public final class Listener {
  private static final Logger LOG = LoggerFactory.getLogger(Listener.class);
  private static final String FETCH =
      "SELECT plank.change_json(c) FROM plank.changes c WHERE seq = $1";
  private static final long HEALTH_INTERVAL_MS = 10_000;
  private static final int FETCH_ATTEMPTS = 5;
  private static final int CATCH_UP_PAGE = 1000;
  private static final String POSITION =
      "SELECT pg_current_snapshot()::text, (SELECT coalesce(max(seq), 0) FROM plank.changes)";

  private final Vertx vertx;
  private final Context context;
  private final PgConnectOptions options;
  private final Pool pool;
  private final ChangeSink sink;
  private final PlankMetrics metrics;
  private final ChangeDecoder decoder;
  private final Backoff backoff;
  private final ChangeLog changeLog;

  // Changes in notification (= commit) order; a referenced change holds back those behind it.
  private final ArrayDeque<Future<Change>> pending = new ArrayDeque<>();
  // Where to replay from after an outage: the highest seq published and its snapshot xmin.
  private Cursor frontier;
  private final PublishedTransactions published = new PublishedTransactions();
  // Transactions the last catch-up read covered; their live notifications are duplicates.
  private PgSnapshot covered;
  private Promise<Void> firstLive; // completed once the first LISTEN is live
  private PgConnection connection;
  private volatile boolean live; // written on the context, read by /ready
  private boolean closed;
  private boolean everConnected;
  private long outageStartedNanos;
  private long healthTimer = -1;
  private boolean healthCheckInFlight;

  public Listener(
      Vertx vertx,
      Context context,
      PgConnectOptions options,
      Pool pool,
      ChangeSink sink,
      PlankMetrics metrics,
      ObjectMapper json,
      Backoff backoff,
      ChangeLog log) {
    this.vertx = vertx;
    this.context = context;
    this.options = options;
    this.pool = pool;
    this.sink = sink;
    this.metrics = metrics;
    this.decoder = new ChangeDecoder(json);
    this.backoff = backoff;
    this.changeLog = log;
  }

  /** Connects and listens; the future completes once the first LISTEN is in place. */
  public Future<Void> start() {
    Promise<Void> started = Promise.promise();
    context.runOnContext(
        v -> {
          firstLive = started;
          connect();
        });
    return started.future();
  }

  /** Whether the LISTEN is in place right now. Safe to read from any thread. */
  public boolean isLive() {
    return live;
  }

  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          closed = true;
          live = false;
          cancelHealthCheck();
          if (connection != null) connection.close().onComplete(r -> done.complete());
          else done.complete();
        });
    return done.future();
  }

  private void connect() {
    if (closed) return;
    PgConnection.connect(vertx, options)
        .compose(this::listen)
        .onSuccess(
            conn -> {
              if (closed) {
                conn.close();
                return;
              }
              connection = conn;
              onListening(conn);
            })
        .onFailure(this::onConnectFailed);
  }

  private Future<PgConnection> listen(PgConnection conn) {
    conn.notificationHandler(this::onNotification);
    conn.closeHandler(v -> onClosed(conn));
    // A dropped connection is reported once, by onClosed; not as a stack trace.
    conn.exceptionHandler(err -> LOG.debug("Listener connection error: {}", err.getMessage()));
    return conn.query("LISTEN " + SchemaInstaller.CHANNEL)
        .execute()
        .map(conn)
        .onFailure(err -> conn.close());
  }

  /**
   * The LISTEN is in place, so every commit from now on is notified. On the first connection that
   * fixes the starting position; after an outage, the log fills the gap first.
   */
  private void onListening(PgConnection conn) {
    Future<Void> ready = frontier == null ? startingPosition(conn) : catchUp(conn);
    onContext(ready)
        .onComplete(
            r -> {
              if (conn != connection) return;
              if (r.failed()) {
                LOG.warn(
                    "Listener could not replay missed changes: {}; reconnecting",
                    r.cause().getMessage());
                conn.close();
                return;
              }
              live = true;
              onLive();
              drain();
              firstLive.tryComplete();
            });
  }

  private Future<Void> startingPosition(PgConnection conn) {
    return onContext(conn.query(POSITION).execute())
        .map(
            rows -> {
              var row = rows.iterator().next();
              // Everything this snapshot sees was committed before the LISTEN: not ours to send.
              covered = PgSnapshot.parse(row.getString(0));
              frontier = new Cursor(row.getLong(1), covered.xmin());
              return null;
            });
  }

  /**
   * Publishes, in seq order, the committed changes this node has not published yet. It serves the
   * connection {@code conn} only: if that one drops meanwhile, the replay stops and the next
   * connection's replay starts over from the frontier, so two never interleave.
   */
  private Future<Void> catchUp(PgConnection conn) {
    Cursor from = frontier;
    return onContext(changeLog.open())
        .compose(
            reader -> {
              if (conn != connection) return abandon(reader);
              if (reader.expired(from)) {
                LOG.error(
                    "Changes committed during the listener outage were pruned from the log before"
                        + " they could be replayed; asking every subscriber to resync");
                sink.resyncAll("cursor_expired");
                frontier = reader.position();
                return finishCatchUp(reader, 0);
              }
              return replayPage(conn, reader, from, -1, 0);
            });
  }

  private Future<Void> replayPage(
      PgConnection conn, LogReader reader, Cursor from, long afterSeq, long replayed) {
    return onContext(reader.changesAfter(from, null, null, afterSeq, CATCH_UP_PAGE))
        .compose(
            page -> {
              if (conn != connection) return abandon(reader);
              long sent = 0;
              for (Change change : page) {
                if (alreadyPublished(change)) continue;
                publishNow(change);
                sent++;
              }
              long total = replayed + sent;
              if (page.size() < CATCH_UP_PAGE) return finishCatchUp(reader, total);
              return replayPage(conn, reader, from, page.get(page.size() - 1).seq(), total);
            },
            err -> reader.close().transform(v -> Future.failedFuture(err)));
  }

  /** Published before the outage, or committed before the snapshot the last read covered. */
  private boolean alreadyPublished(Change change) {
    return published.contains(change.xid(), change.seq())
        || (covered != null && covered.sees(change.xid()));
  }

  private Future<Void> abandon(LogReader reader) {
    return reader.close().transform(v -> Future.failedFuture("connection replaced"));
  }

  private Future<Void> finishCatchUp(LogReader reader, long replayed) {
    covered = reader.snapshot();
    if (replayed > 0) {
      LOG.info("Replayed {} changes committed while the listener was away", replayed);
    }
    return reader.close();
  }

  private void onLive() {
    if (everConnected) {
      double seconds = (System.nanoTime() - outageStartedNanos) / 1e9;
      LOG.info(
          "Listener reconnected after {} s ({} attempts)",
          String.format("%.1f", seconds),
          backoff.attempts());
      metrics.listenerReconnected();
    }
    everConnected = true;
    backoff.reset();
    scheduleHealthCheck();
    sink.listenerUp();
  }

  private <T> Future<T> onContext(Future<T> future) {
    return OnContext.of(context, future);
  }

  private void onConnectFailed(Throwable err) {
    if (closed) return;
    if (backoff.attempts() == 0 && everConnected) {
      LOG.warn("Listener cannot reconnect yet: {}; retrying with back-off", err.getMessage());
    } else {
      LOG.debug("Listener connect attempt failed: {}", err.getMessage());
    }
    vertx.setTimer(backoff.next(), t -> connect());
  }

  private void onClosed(PgConnection conn) {
    if (conn != connection) return;
    connection = null;
    live = false;
    cancelHealthCheck();
    if (closed) return;
    outageStartedNanos = System.nanoTime();
    LOG.warn("Listener connection to PostgreSQL lost; reconnecting with back-off");
    sink.listenerDown();
    vertx.setTimer(backoff.next(), t -> connect());
  }

  private void onNotification(PgNotification notification) {
    metrics.changeReceived();
    Future<Change> change = toChange(notification.getPayload());
    if (pending.isEmpty() && live && change.succeeded()) {
      deliver(change.result());
      return;
    }
    pending.add(change);
    change.onComplete(r -> drain());
  }

  private Future<Change> toChange(String payload) {
    try {
      JsonNode node = decoder.parse(payload);
      OptionalLong reference = ChangeDecoder.reference(node);
      return reference.isPresent()
          ? fetch(reference.getAsLong(), FETCH_ATTEMPTS)
          : Future.succeededFuture(decoder.decode(node));
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Change> fetch(long seq, int attemptsLeft) {
    return pool.preparedQuery(FETCH)
        .execute(Tuple.of(seq))
        .map(
            rows -> {
              if (rows.size() == 0) throw new IllegalStateException("not in the change log");
              return rows.iterator().next().getString(0);
            })
        .compose(payload -> toChange(payload))
        .recover(
            err -> {
              if (attemptsLeft <= 1) return Future.failedFuture(err);
              Promise<Change> retry = Promise.promise();
              vertx.setTimer(100, t -> fetch(seq, attemptsLeft - 1).onComplete(retry));
              return retry.future();
            })
        .onFailure(
            err ->
                LOG.error(
                    "Change seq {} could not be read from the log: {}", seq, err.getMessage()));
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
        pending.clear();
        if (connection != null) connection.close();
        return;
      }
    }
  }

  /** A live change, unless the catch-up after the last outage already covered it. */
  private void deliver(Change change) {
    if (covered != null && covered.sees(change.xid())) return;
    publishNow(change);
  }

  private void publishNow(Change change) {
    if (frontier == null || change.seq() > frontier.seq()) frontier = change.cursor();
    published.add(change.xid(), change.seq(), frontier.xmin());
    sink.publish(change);
  }

  private void scheduleHealthCheck() {
    healthCheckInFlight = false;
    healthTimer = vertx.setPeriodic(HEALTH_INTERVAL_MS, t -> checkHealth());
  }

  /** A connection that silently died (no FIN from a vanished host) is found within two periods. */
  private void checkHealth() {
    PgConnection conn = connection;
    if (conn == null) return;
    if (healthCheckInFlight) {
      LOG.warn("Listener connection stopped answering; closing it");
      conn.close();
      return;
    }
    healthCheckInFlight = true;
    conn.query("SELECT 1").execute().onSuccess(r -> healthCheckInFlight = false);
  }

  private void cancelHealthCheck() {
    if (healthTimer >= 0) vertx.cancelTimer(healthTimer);
    healthTimer = -1;
  }
}
