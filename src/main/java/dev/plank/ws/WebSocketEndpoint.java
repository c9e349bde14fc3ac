package dev.plank.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.hub.Hub;
import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Accepts WebSocket connections on {@code /ws} and keeps track of them for shutdown. */
public final class WebSocketEndpoint {
  private final Hub hub;
  private final ObjectMapper json;
  private final PlankMetrics metrics;
  private final int maxMessageBytes;
  private final long maxQueueBytes;
  private final Set<WsSession> sessions = ConcurrentHashMap.newKeySet(); // any event loop
  private long pingTimer = -1;

  public WebSocketEndpoint(
      Hub hub, ObjectMapper json, PlankMetrics metrics, int maxMessageBytes, long maxQueueBytes) {
    this.maxMessageBytes = maxMessageBytes;
    this.maxQueueBytes = maxQueueBytes;
    this.hub = hub;
    this.json = json;
    this.metrics = metrics;
  }

  public void accept(ServerWebSocket ws) {
    WsSession session =
        new WsSession(ws, hub, json, maxMessageBytes, maxQueueBytes, metrics::slowConsumerClosed);
    sessions.add(session);
    metrics.connectionOpened();
    session.start(
        () -> {
          sessions.remove(session);
          metrics.connectionClosed();
        });
  }

  /** Checks every connection's liveness once per interval, from one timer for all of them. */
  public void startPings(Vertx vertx, Duration interval) {
    long intervalNanos = interval.toNanos();
    pingTimer =
        vertx.setPeriodic(
            interval.toMillis(),
            t -> {
              long now = System.nanoTime();
              sessions.forEach(session -> session.checkAlive(now, intervalNanos));
            });
  }

  /** Closes every connection with the given code; clients reconnect elsewhere or later. */
  public Future<Void> closeAll(short code, String reason) {
    List<Future<Void>> closing = new ArrayList<>();
    sessions.forEach(session -> closing.add(session.close(code, reason)));
    return Future.join(closing).mapEmpty();
  }
}
