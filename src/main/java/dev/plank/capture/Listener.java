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
 * Reconnects with capped exponential back-off when the connection is lost.
 *
 * <p>All mutable state is owned by {@code context}, the hub's event loop.
 */
public final class Listener {
  private static final Logger log = LoggerFactory.getLogger(Listener.class);
  private static final String FETCH =
      "SELECT plank.change_json(c) FROM plank.changes c WHERE seq = $1";
  private static final long HEALTH_INTERVAL_MS = 10_000;
  private static final int FETCH_ATTEMPTS = 5;

  private final Vertx vertx;
  private final Context context;
  private final PgConnectOptions options;
  private final Pool pool;
  private final ChangeSink sink;
  private final PlankMetrics metrics;
  private final ChangeDecoder decoder;
  private final Backoff backoff;

  // Changes in notification (= commit) order; a referenced change holds back those behind it.
  private final ArrayDeque<Future<Change>> pending = new ArrayDeque<>();
  private PgConnection connection;
  private boolean live;
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
      Backoff backoff) {
    this.vertx = vertx;
    this.context = context;
    this.options = options;
    this.pool = pool;
    this.sink = sink;
    this.metrics = metrics;
    this.decoder = new ChangeDecoder(json);
    this.backoff = backoff;
  }

  /** Connects and listens; the future completes once the first LISTEN is in place. */
  public Future<Void> start() {
    Promise<Void> firstLive = Promise.promise();
    context.runOnContext(v -> connect(firstLive));
    return firstLive.future();
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

  private void connect(Promise<Void> firstLive) {
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
              live = true;
              onLive();
              if (firstLive != null) firstLive.tryComplete();
            })
        .onFailure(err -> onConnectFailed(err, firstLive));
  }

  private Future<PgConnection> listen(PgConnection conn) {
    conn.notificationHandler(this::onNotification);
    conn.closeHandler(v -> onClosed(conn));
    return conn.query("LISTEN " + SchemaInstaller.CHANNEL)
        .execute()
        .map(conn)
        .onFailure(err -> conn.close());
  }

  private void onLive() {
    if (everConnected) {
      double seconds = (System.nanoTime() - outageStartedNanos) / 1e9;
      log.info(
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

  private void onConnectFailed(Throwable err, Promise<Void> firstLive) {
    if (closed) return;
    if (backoff.attempts() == 0 && everConnected) {
      log.warn("Listener cannot reconnect yet: {}; retrying with back-off", err.getMessage());
    } else {
      log.debug("Listener connect attempt failed: {}", err.getMessage());
    }
    vertx.setTimer(backoff.next(), t -> connect(firstLive));
  }

  private void onClosed(PgConnection conn) {
    if (conn != connection) return;
    connection = null;
    live = false;
    cancelHealthCheck();
    if (closed) return;
    outageStartedNanos = System.nanoTime();
    log.warn("Listener connection to PostgreSQL lost; reconnecting with back-off");
    sink.listenerDown();
    vertx.setTimer(backoff.next(), t -> connect(null));
  }

  private void onNotification(PgNotification notification) {
    metrics.changeReceived();
    Future<Change> change = toChange(notification.getPayload());
    if (pending.isEmpty() && change.succeeded()) {
      sink.publish(change.result());
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
                log.error(
                    "Change seq {} could not be read from the log: {}", seq, err.getMessage()));
  }

  private void drain() {
    if (Vertx.currentContext() != context) {
      context.runOnContext(v -> drain());
      return;
    }
    while (!pending.isEmpty() && pending.peek().isComplete()) {
      Future<Change> head = pending.poll();
      if (head.succeeded()) {
        sink.publish(head.result());
      } else {
        log.error("Skipping an unreadable change notification: {}", head.cause().getMessage());
      }
    }
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
      log.warn("Listener connection stopped answering; closing it");
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
