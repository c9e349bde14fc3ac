package dev.plank.config;

import java.time.Duration;
import java.util.List;

/**
 * Bounds that keep one client from hurting the others. Immutable.
 *
 * @param maxConnections open WebSockets in total; an upgrade beyond gets 503
 * @param maxConnectionsPerIp open WebSockets per client address; an upgrade beyond gets 503
 * @param maxHttpConnections TCP connections to the HTTP port, WebSockets included; one beyond is
 *     closed as soon as it is accepted, so that a flood of half-open requests cannot take every
 *     descriptor
 * @param headerTimeout time a connection has to send a whole request (headers and body, or the
 *     upgrade) from its first byte
 * @param idleTimeout time a kept-alive HTTP connection may stay silent between requests
 * @param messageRate client messages per second per WebSocket (pings included)
 * @param messageBurst messages a WebSocket may send at once before the rate applies
 * @param subscribeRate subscribe and unsubscribe requests per second per WebSocket
 * @param subscribeBurst subscribe and unsubscribe requests at once before the rate applies
 * @param rateLimitStrikes refusals in a row (without the client falling back under its rate) after
 *     which the connection is closed with 1008
 * @param rateLimitCooldown how long an address whose WebSocket was closed for flooding is refused
 *     new ones
 * @param maxCatchUpsWaiting snapshots and replays queued for a read slot; a subscribe beyond gets
 *     {@code busy}
 * @param stallTimeout time a snapshot or replay waits for its client to read before the client is
 *     closed as a slow consumer and the slot is freed
 * @param queryTimeout {@code statement_timeout} of snapshot and replay queries
 */
public record LimitSettings(
    int maxConnections,
    int maxConnectionsPerIp,
    int maxHttpConnections,
    Duration headerTimeout,
    Duration idleTimeout,
    int messageRate,
    int messageBurst,
    int subscribeRate,
    int subscribeBurst,
    int rateLimitStrikes,
    Duration rateLimitCooldown,
    int maxCatchUpsWaiting,
    Duration stallTimeout,
    Duration queryTimeout) {
  public static final String MAX_CONNECTIONS = "PLANK_MAX_CONNECTIONS";
  public static final String MAX_CONNECTIONS_PER_IP = "PLANK_MAX_CONNECTIONS_PER_IP";
  public static final String MAX_HTTP_CONNECTIONS = "PLANK_MAX_HTTP_CONNECTIONS";
  public static final String HEADER_TIMEOUT = "PLANK_HEADER_TIMEOUT";
  public static final String IDLE_TIMEOUT = "PLANK_IDLE_TIMEOUT";
  public static final String MESSAGE_RATE = "PLANK_MESSAGE_RATE";
  public static final String MESSAGE_BURST = "PLANK_MESSAGE_BURST";
  public static final String SUBSCRIBE_RATE = "PLANK_SUBSCRIBE_RATE";
  public static final String SUBSCRIBE_BURST = "PLANK_SUBSCRIBE_BURST";
  public static final String RATE_LIMIT_STRIKES = "PLANK_RATE_LIMIT_STRIKES";
  public static final String RATE_LIMIT_COOLDOWN = "PLANK_RATE_LIMIT_COOLDOWN";
  public static final String MAX_CATCHUPS_WAITING = "PLANK_MAX_CATCHUPS_WAITING";
  public static final String STALL_TIMEOUT = "PLANK_STALL_TIMEOUT";
  public static final String QUERY_TIMEOUT = "PLANK_QUERY_TIMEOUT";

  /** Every variable this record reads. */
  public static final List<String> NAMES =
      List.of(
          MAX_CONNECTIONS,
          MAX_CONNECTIONS_PER_IP,
          MAX_HTTP_CONNECTIONS,
          HEADER_TIMEOUT,
          IDLE_TIMEOUT,
          MESSAGE_RATE,
          MESSAGE_BURST,
          SUBSCRIBE_RATE,
          SUBSCRIBE_BURST,
          RATE_LIMIT_STRIKES,
          RATE_LIMIT_COOLDOWN,
          MAX_CATCHUPS_WAITING,
          STALL_TIMEOUT,
          QUERY_TIMEOUT);

  static LimitSettings load(Source s) {
    int maxConnections = s.integer(MAX_CONNECTIONS, 10_000, 1, 10_000_000);
    return new LimitSettings(
        maxConnections,
        s.integer(MAX_CONNECTIONS_PER_IP, 1_000, 1, 10_000_000),
        // Room above the WebSockets for REST calls and for upgrades that get their 503.
        s.integer(MAX_HTTP_CONNECTIONS, maxConnections + 1_000, 1, 10_000_000),
        s.duration(HEADER_TIMEOUT, "10s", Duration.ofMillis(100)),
        s.duration(IDLE_TIMEOUT, "60s", Duration.ofMillis(100)),
        s.integer(MESSAGE_RATE, 50, 1, 1_000_000),
        s.integer(MESSAGE_BURST, 100, 1, 1_000_000),
        s.integer(SUBSCRIBE_RATE, 20, 1, 1_000_000),
        // A reconnecting client subscribes again to everything it had (PLANK_MAX_SUBSCRIPTIONS).
        s.integer(SUBSCRIBE_BURST, 100, 1, 1_000_000),
        s.integer(RATE_LIMIT_STRIKES, 50, 1, 1_000_000),
        s.duration(RATE_LIMIT_COOLDOWN, "10s", Duration.ZERO),
        s.integer(MAX_CATCHUPS_WAITING, 1_000, 0, 1_000_000),
        s.duration(STALL_TIMEOUT, "5s", Duration.ofMillis(100)),
        s.duration(QUERY_TIMEOUT, "30s", Duration.ofMillis(100)));
  }
}
