package dev.plank.config;

import java.time.Duration;
import java.util.List;

/**
 * Bounds of broadcast and presence ({@code dev.plank.pubsub}). Immutable.
 *
 * @param maxTopics topics one connection may have joined at once
 * @param maxPresencePerTopic presence entries one topic may hold, across the cluster as this node
 *     sees it
 * @param maxPresencePerConnection topics one connection may track its presence in
 * @param maxPayloadBytes bytes of a broadcast's payload or a presence state, as JSON; NOTIFY
 *     carries them between nodes, and its payload is limited to 8000 bytes with the envelope
 * @param broadcastRate broadcasts per second per connection
 * @param broadcastBurst broadcasts a connection may send at once before the rate applies
 * @param presenceExpiry a node that has not written its heartbeat for this long is taken for dead:
 *     the other nodes drop its presence entries
 */
public record PubSubSettings(
    int maxTopics,
    int maxPresencePerTopic,
    int maxPresencePerConnection,
    int maxPayloadBytes,
    int broadcastRate,
    int broadcastBurst,
    Duration presenceExpiry) {
  public static final String MAX_TOPICS = "PLANK_MAX_TOPICS";
  public static final String MAX_PRESENCE_PER_TOPIC = "PLANK_MAX_PRESENCE_PER_TOPIC";
  public static final String MAX_PRESENCE_PER_CONNECTION = "PLANK_MAX_PRESENCE_PER_CONNECTION";
  public static final String MAX_PAYLOAD_BYTES = "PLANK_MAX_BROADCAST_BYTES";
  public static final String BROADCAST_RATE = "PLANK_BROADCAST_RATE";
  public static final String BROADCAST_BURST = "PLANK_BROADCAST_BURST";
  public static final String PRESENCE_EXPIRY = "PLANK_PRESENCE_EXPIRY";

  /** NOTIFY's limit is 8000 bytes; the envelope (topic, event, node) needs the rest. */
  public static final int NOTIFY_PAYLOAD_ROOM = 7000;

  /** Every variable this record reads. */
  public static final List<String> NAMES =
      List.of(
          MAX_TOPICS,
          MAX_PRESENCE_PER_TOPIC,
          MAX_PRESENCE_PER_CONNECTION,
          MAX_PAYLOAD_BYTES,
          BROADCAST_RATE,
          BROADCAST_BURST,
          PRESENCE_EXPIRY);

  static PubSubSettings load(Source s) {
    return new PubSubSettings(
        s.integer(MAX_TOPICS, 100, 1, 100_000),
        s.integer(MAX_PRESENCE_PER_TOPIC, 1_000, 1, 1_000_000),
        s.integer(MAX_PRESENCE_PER_CONNECTION, 10, 0, 100_000),
        s.integer(MAX_PAYLOAD_BYTES, 4_096, 2, NOTIFY_PAYLOAD_ROOM),
        s.integer(BROADCAST_RATE, 20, 1, 1_000_000),
        s.integer(BROADCAST_BURST, 40, 1, 1_000_000),
        s.duration(PRESENCE_EXPIRY, "30s", Duration.ofSeconds(1)));
  }
}
