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
  // Addresses cut off for flooding, with the System.nanoTime() until which they are refused.
  private final ConcurrentHashMap<String, Long> coolingDown = new ConcurrentHashMap<>();

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
    metrics.limitConfigured("rate_limit_cooldown", seconds(limits.rateLimitCooldown().toMillis()));
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
    if (isCoolingDown(address)) {
      metrics.limitHit("rate_limit_cooldown");
      return "this address was cut off for sending too fast; retry in "
          + limits.rateLimitCooldown().toSeconds()
          + " s";
    }
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

  /**
   * A WebSocket of this address was closed for flooding: refuse its new ones for {@code
   * PLANK_RATE_LIMIT_COOLDOWN}, so that reconnecting at once does not buy a fresh rate.
   */
  void coolDown(String address) {
    long now = System.nanoTime();
    if (coolingDown.size() >= limits.maxConnections()) {
      coolingDown.values().removeIf(until -> until - now <= 0);
    }
    coolingDown.put(address, now + limits.rateLimitCooldown().toNanos());
  }

  private boolean isCoolingDown(String address) {
    Long until = coolingDown.get(address);
    if (until == null) return false;
    if (until - System.nanoTime() > 0) return true;
    coolingDown.remove(address, until);
    return false;
  }

  void webSocketClosed(String address) {
    webSockets.decrementAndGet();
    byAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
  }
}
