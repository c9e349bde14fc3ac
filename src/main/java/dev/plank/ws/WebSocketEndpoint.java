package dev.plank.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.hub.Hub;
import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
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
  private final Set<WsSession> sessions = ConcurrentHashMap.newKeySet(); // any event loop

  public WebSocketEndpoint(Hub hub, ObjectMapper json, PlankMetrics metrics, int maxMessageBytes) {
    this.maxMessageBytes = maxMessageBytes;
    this.hub = hub;
    this.json = json;
    this.metrics = metrics;
  }

  public void accept(ServerWebSocket ws) {
    WsSession session = new WsSession(ws, hub, json, maxMessageBytes);
    sessions.add(session);
    metrics.connectionOpened();
    session.start(
        () -> {
          sessions.remove(session);
          metrics.connectionClosed();
        });
  }

  /** Closes every connection with the given code; clients reconnect elsewhere or later. */
  public Future<Void> closeAll(short code, String reason) {
    List<Future<Void>> closing = new ArrayList<>();
    sessions.forEach(session -> closing.add(session.close(code, reason)));
    return Future.join(closing).mapEmpty();
  }
}
