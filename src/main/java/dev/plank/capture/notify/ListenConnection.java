package dev.plank.capture.notify;

import dev.plank.capture.Backoff;
import dev.plank.capture.OnContext;
import dev.plank.config.ConnectionSettings;
import dev.plank.db.SchemaInstaller;
import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.SqlClient;
import java.security.SecureRandom;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's single LISTEN connection: connects and listens, reconnects with capped exponential
 * back-off when the connection is lost, and closes one that silently died. What a new connection
 * must do before it goes live, and what its notifications mean, is up to its {@link Events}.
 *
 * <p>All mutable state is owned by {@code context}, the hub's event loop.
 */
final class ListenConnection {
  private static final Logger LOG = LoggerFactory.getLogger(ListenConnection.class);
  private static final long HEALTH_INTERVAL_MS = 10_000;
  private static final long PROBE_TIMEOUT_MS = 5_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What the connection reports; called on its context. */
  interface Events {
    /**
     * The LISTEN is in place on {@code conn}, so every commit from now on is notified. The
     * connection goes live when the future succeeds; when it fails, it is closed and replaced.
     */
    Future<Void> listening(PgConnection conn);

    /** The connection is live. */
    void live();

    void notification(String payload);

    /** The connection was lost (not closed by {@link #close}); another one is on its way. */
    void lost();

    /**
     * The first connection receives no notifications (a pooler in transaction mode): it will never
     * work, so the connection gave up.
     */
    void refused(Throwable reason);
  }

  /** A connection on which LISTEN receives nothing. */
  static final class NotificationsNotReceived extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotificationsNotReceived(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final PgConnectOptions options;
  private final String setting;
  private final SqlClient notifier;
  private final PlankMetrics metrics;
  private final Backoff backoff;
  private final Events events;
  private PgConnection connection;
  private boolean closed;
  private boolean everConnected;
  private long outageStartedNanos;
  private long healthTimer = -1;
  private boolean healthCheckInFlight;

  ListenConnection(
      Vertx vertx,
      Context context,
      PgConnectOptions options,
      String setting,
      SqlClient notifier,
      PlankMetrics metrics,
      Backoff backoff,
      Events events) {
    this.vertx = vertx;
    this.context = context;
    this.options = options;
    this.setting = setting;
    this.notifier = notifier;
    this.metrics = metrics;
    this.backoff = backoff;
    this.events = events;
  }

  /** Connects; on the context. */
  void start() {
    assert OnContext.owns(context);
    connect();
  }

  /** Whether {@code conn} is the connection in use: a replay for another one stops. */
  boolean isCurrent(PgConnection conn) {
    return conn == connection;
  }

  /** Drops the connection in use, if any; the next one replays what this one missed. */
  void restart() {
    if (connection != null) connection.close();
  }

  Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          closed = true;
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

  /**
   * Proves that this connection receives notifications before it listens for changes: it listens on
   * a channel of its own and has another connection (of the pool) notify it. Behind a pooler in
   * transaction mode (PgBouncer's default) LISTEN runs in a server session that is handed to
   * someone else right after, and the connection silently receives nothing; plain PostgreSQL
   * delivers at the notifier's commit, well within the deadline. Only once proven does the
   * connection LISTEN on Plank's channel, so a pooled session is never left listening to it.
   */
  private Future<PgConnection> listen(PgConnection conn) {
    // Hex digits only: the channel name is SQL text.
    String probe = "plank_probe_" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
    Promise<Void> heard = Promise.promise();
    conn.notificationHandler(
        n -> {
          if (SchemaInstaller.CHANNEL.equals(n.getChannel())) events.notification(n.getPayload());
          else if (probe.equals(n.getChannel())) heard.tryComplete();
        });
    conn.closeHandler(v -> onClosed(conn));
    // A dropped connection is reported once, by onClosed; not as a stack trace.
    conn.exceptionHandler(err -> LOG.debug("Listener connection error: {}", err.getMessage()));
    return conn.query("LISTEN " + probe)
        .execute()
        .compose(r -> notifier.query("NOTIFY " + probe).execute())
        .compose(
            r -> {
              long timer =
                  vertx.setTimer(
                      PROBE_TIMEOUT_MS,
                      t -> heard.tryFail(new NotificationsNotReceived(refusal())));
              return heard.future().onComplete(v -> vertx.cancelTimer(timer));
            })
        .compose(
            v -> conn.query("UNLISTEN " + probe + "; LISTEN " + SchemaInstaller.CHANNEL).execute())
        .map(conn)
        .onFailure(err -> conn.close());
  }

  private String refusal() {
    String base =
        "the listener connection ("
            + setting
            + ", "
            + options.getHost()
            + ":"
            + options.getPort()
            + ") receives no notifications; LISTEN needs a session of its own, which a pooler in"
            + " transaction mode such as PgBouncer's does not keep: ";
    return setting.equals(ConnectionSettings.LISTEN_DATABASE_URL)
        ? base + "point PLANK_LISTEN_DATABASE_URL at PostgreSQL directly (or a session-mode pool)"
        : base
            + "set PLANK_LISTEN_DATABASE_URL to a direct connection to PostgreSQL (and"
            + " PLANK_POOL_MODE=transaction)";
  }

  private void onListening(PgConnection conn) {
    OnContext.of(context, events.listening(conn))
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
              onUp();
              events.live();
            });
  }

  private void onUp() {
    if (everConnected) {
      double seconds = (System.nanoTime() - outageStartedNanos) / 1e9;
      LOG.info(
          "Listener reconnected after {} s ({} attempts)",
          String.format(Locale.ROOT, "%.1f", seconds),
          backoff.attempts());
      metrics.listenerReconnected();
    }
    everConnected = true;
    backoff.reset();
    scheduleHealthCheck();
  }

  private void onConnectFailed(Throwable err) {
    if (closed) return;
    if (err instanceof NotificationsNotReceived) {
      if (!everConnected) {
        // A configuration error: retrying would only hide it behind a node that never goes live.
        closed = true;
        events.refused(err);
        return;
      }
      LOG.error("Listener: {}; retrying with back-off", err.getMessage());
      vertx.setTimer(backoff.next(), t -> connect());
      return;
    }
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
    cancelHealthCheck();
    if (closed) return;
    outageStartedNanos = System.nanoTime();
    LOG.warn("Listener connection to PostgreSQL lost; reconnecting with back-off");
    events.lost();
    vertx.setTimer(backoff.next(), t -> connect());
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
