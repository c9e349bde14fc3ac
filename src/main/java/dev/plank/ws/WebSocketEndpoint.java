package dev.plank.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.hub.Hub;
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
import java.util.List;
import java.util.Map;
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
  private final Map<EventExecutor, LoopWriter> writers = new ConcurrentHashMap<>(); // per loop

  public WebSocketEndpoint(
      Hub hub, ObjectMapper json, PlankMetrics metrics, int maxMessageBytes, long maxQueueBytes) {
    this.maxMessageBytes = maxMessageBytes;
    this.maxQueueBytes = maxQueueBytes;
    this.hub = hub;
    this.json = json;
    this.metrics = metrics;
  }

  /**
   * Serves an upgraded connection. Change frames are written to its Netty channel directly (see
   * {@link SessionOutbox}), which the HTTP connection it was upgraded from still owns.
   */
  public void accept(ServerWebSocket ws, HttpConnection upgradedFrom) {
    Channel channel = ((ConnectionBase) upgradedFrom).channel();
    LoopWriter writer = writers.computeIfAbsent(channel.eventLoop(), LoopWriter::new);
    WsSession session =
        new WsSession(
            ws,
            channel,
            hub,
            json,
            maxMessageBytes,
            maxQueueBytes,
            writer,
            metrics::slowConsumerClosed);
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
