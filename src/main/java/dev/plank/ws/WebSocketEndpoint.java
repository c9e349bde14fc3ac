package dev.plank.ws;

import dev.plank.auth.Principal;
import dev.plank.config.LimitSettings;
import dev.plank.metrics.PlankMetrics;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.impl.ConnectionBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts WebSocket connections on its paths, each path with the protocol handler mounted there
 * ({@code /ws}: protocol v1), and keeps track of every connection for pings and shutdown.
 */
public final class WebSocketEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(WebSocketEndpoint.class);

  private final Map<String, WsHandler.Factory> handlers; // by path; fixed at construction
  private final PlankMetrics metrics;
  private final int maxMessageBytes;
  private final long maxQueueBytes;
  private final LimitSettings limits;
  private final Set<WsConnection> connections = ConcurrentHashMap.newKeySet(); // any event loop
  private final Map<EventExecutor, LoopWriter> writers = new ConcurrentHashMap<>(); // per loop

  public WebSocketEndpoint(
      Map<String, WsHandler.Factory> handlers,
      PlankMetrics metrics,
      int maxMessageBytes,
      long maxQueueBytes,
      LimitSettings limits) {
    this.limits = limits;
    this.handlers = new LinkedHashMap<>(handlers);
    this.maxMessageBytes = maxMessageBytes;
    this.maxQueueBytes = maxQueueBytes;
    this.metrics = metrics;
  }

  /** The paths to route WebSocket upgrades from. */
  public Set<String> paths() {
    return handlers.keySet();
  }

  /** The token an upgrade on {@code path} carries, as the protocol mounted there finds it. */
  public String token(String path, io.vertx.core.http.HttpServerRequest request)
      throws dev.plank.auth.TokenException {
    return handlers.get(path).token(request);
  }

  /**
   * Serves a connection upgraded on {@code path}. Change frames are written to its Netty channel
   * directly (see {@link SessionOutbox}), which the HTTP connection it was upgraded from still
   * owns.
   *
   * @param principal who the upgrade's token was verified as, or {@code null} without a token
   * @param address the client's address
   * @param onRateLimitClose called when the connection is closed for flooding past its rate
   */
  public void accept(
      String path,
      ServerWebSocket ws,
      HttpConnection upgradedFrom,
      Principal principal,
      String address,
      Runnable onRateLimitClose) {
    WsHandler.Factory factory = handlers.get(path);
    if (factory == null) throw new IllegalArgumentException("no WebSocket handler on " + path);
    Channel channel = ((ConnectionBase) upgradedFrom).channel();
    LoopWriter writer = writers.computeIfAbsent(channel.eventLoop(), LoopWriter::new);
    WsConnection connection =
        new WsConnection(
            ws,
            channel,
            maxMessageBytes,
            maxQueueBytes,
            writer,
            metrics::slowConsumerClosed,
            limits,
            metrics::limitHit,
            address,
            onRateLimitClose);
    connections.add(connection);
    metrics.connectionOpened();
    connection.start(
        factory.open(connection, principal),
        () -> {
          connections.remove(connection);
          metrics.connectionClosed();
        });
  }

  /** Checks every connection's liveness once per interval, from one timer for all of them. */
  public void startPings(Vertx vertx, Duration interval) {
    long intervalNanos = interval.toNanos();
    vertx.setPeriodic(
        interval.toMillis(),
        t -> {
          long now = System.nanoTime();
          connections.forEach(connection -> checkAlive(connection, now, intervalNanos));
        });
  }

  /** One connection's failure must not end the sweep for the others, nor the timer. */
  private static void checkAlive(WsConnection connection, long now, long intervalNanos) {
    try {
      connection.checkAlive(now, intervalNanos);
    } catch (RuntimeException e) {
      LOG.error("Checking a WebSocket's liveness failed", e);
    }
  }

  /** Closes every connection with the given code; clients reconnect elsewhere or later. */
  public Future<Void> closeAll(short code, String reason) {
    List<Future<Void>> closing = new ArrayList<>();
    connections.forEach(connection -> closing.add(connection.close(code, reason)));
    return Future.join(closing).mapEmpty();
  }
}
