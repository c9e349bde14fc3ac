package dev.plank.web;

import dev.plank.config.LimitSettings;
import dev.plank.metrics.PlankMetrics;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the connections of every {@link WebServer} instance: TCP connections to the HTTP port, and
 * WebSockets in total and per client address. Thread-safe: each event loop counts its own
 * connections here.
 */
public final class ConnectionGuard {
  private final LimitSettings limits;
  private final PlankMetrics metrics;
  private final AtomicInteger http = new AtomicInteger();
  private final AtomicInteger webSockets = new AtomicInteger();
  private final ConcurrentHashMap<String, Integer> byAddress = new ConcurrentHashMap<>();

  public ConnectionGuard(LimitSettings limits, PlankMetrics metrics) {
    this.limits = limits;
    this.metrics = metrics;
    metrics.limitConfigured("connections", limits.maxConnections());
    metrics.limitConfigured("connections_per_ip", limits.maxConnectionsPerIp());
    metrics.limitConfigured("http_connections", limits.maxHttpConnections());
    metrics.limitConfigured("header_timeout", seconds(limits.headerTimeout().toMillis()));
    metrics.limitConfigured("idle_timeout", seconds(limits.idleTimeout().toMillis()));
    metrics.limitConfigured("message_rate", limits.messageRate());
    metrics.limitConfigured("subscribe_rate", limits.subscribeRate());
    metrics.limitConfigured("catch_up_queue", limits.maxCatchUpsWaiting());
    metrics.limitConfigured("stall_timeout", seconds(limits.stallTimeout().toMillis()));
    metrics.limitConfigured("query_timeout", seconds(limits.queryTimeout().toMillis()));
  }

  private static double seconds(long millis) {
    return millis / 1000.0;
  }

  /** A TCP connection was accepted; false when it is one too many (the caller closes it). */
  boolean acceptHttp() {
    if (http.incrementAndGet() <= limits.maxHttpConnections()) return true;
    http.decrementAndGet();
    metrics.limitHit("http_connections");
    return false;
  }

  void httpClosed() {
    http.decrementAndGet();
  }

  /**
   * Reserves a WebSocket for a client address; answers null when admitted (release it with {@link
   * #webSocketClosed}), else why not.
   */
  String admitWebSocket(String address) {
    if (webSockets.incrementAndGet() > limits.maxConnections()) {
      webSockets.decrementAndGet();
      metrics.limitHit("connections");
      return "the server holds its maximum of WebSocket connections; retry later";
    }
    boolean[] over = {false};
    byAddress.compute(
        address,
        (a, n) -> {
          int count = n == null ? 0 : n;
          if (count >= limits.maxConnectionsPerIp()) {
            over[0] = true;
            return n;
          }
          return count + 1;
        });
    if (over[0]) {
      webSockets.decrementAndGet();
      metrics.limitHit("connections_per_ip");
      return "too many WebSocket connections from your address; retry later";
    }
    return null;
  }

  void webSocketClosed(String address) {
    webSockets.decrementAndGet();
    byAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
  }
}
