package dev.plank.pubsub;

import static dev.plank.pubsub.Topics.join;
import static dev.plank.pubsub.Topics.track;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each broadcast and presence limit, hit by a real client: refused, and counted. */
class PubSubLimitsTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank =
        TestPlank.start(
            PubSubLimitsTest.class,
            Map.of(
                "PLANK_MAX_TOPICS", "2",
                "PLANK_MAX_PRESENCE_PER_TOPIC", "1",
                "PLANK_MAX_PRESENCE_PER_CONNECTION", "1",
                "PLANK_MAX_BROADCAST_BYTES", "7000",
                "PLANK_BROADCAST_RATE", "1",
                "PLANK_BROADCAST_BURST", "2"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void topicsPerConnection() {
    try (WsClient a = WsClient.connect(plank.wsUrl())) {
      join(a, "t:1");
      join(a, "t:2");
      a.send("{\"action\":\"join\",\"id\":3,\"topic\":\"t:3\"}");
      assertError(a.next(), "too_many_topics", 3);
      plank.awaitMetric("plank_limit_hits_total{limit=\"max_topics\"}", 1);
      // Leaving makes room again.
      a.send("{\"action\":\"leave\",\"topic\":\"t:1\"}");
      assertThat(a.next().path("type").asText()).isEqualTo("left");
      join(a, "t:3");
    }
  }

  @Test
  void presencePerConnectionAndPerTopic() {
    try (WsClient a = WsClient.connect(plank.wsUrl());
        WsClient b = WsClient.connect(plank.wsUrl())) {
      join(a, "p:1");
      join(a, "p:2");
      assertThat(track(a, "p:1", null, "{}").path("type").asText()).isEqualTo("tracked");
      // Tracking again in the same topic replaces the entry: no new one.
      assertThat(track(a, "p:1", null, "{\"v\":2}").path("type").asText()).isEqualTo("tracked");
      assertError(track(a, "p:2", null, "{}"), "too_many_presences", null);
      plank.awaitMetric("plank_limit_hits_total{limit=\"max_presence_per_connection\"}", 1);

      join(b, "p:1");
      b.send("{\"action\":\"track\",\"topic\":\"p:1\",\"state\":{}}");
      assertError(b.next(), "too_many_presences", null);
      plank.awaitMetric("plank_limit_hits_total{limit=\"max_presence_per_topic\"}", 1);
    }
  }

  @Test
  void payloadBytesAndNotifysOwnLimit() {
    try (WsClient a = WsClient.connect(plank.wsUrl())) {
      join(a, "big");
      a.send(
          "{\"action\":\"broadcast\",\"topic\":\"big\",\"event\":\"e\",\"payload\":\""
              + "x".repeat(7001)
              + "\"}");
      JsonNode refused = a.next();
      assertError(refused, "too_large", null);
      assertThat(refused.path("message").asText()).contains("over the limit of 7000");
      plank.awaitMetric("plank_limit_hits_total{limit=\"broadcast_bytes\"}", 1);

      // Under the payload limit, but not with a long topic and event in NOTIFY's 8000 bytes.
      String topic = "é".repeat(200);
      join(a, topic);
      a.send(
          "{\"action\":\"broadcast\",\"topic\":\""
              + topic
              + "\",\"event\":\""
              + "€".repeat(200)
              + "\",\"payload\":\""
              + "x".repeat(6990)
              + "\"}");
      JsonNode notify = a.next();
      assertError(notify, "too_large", null);
      assertThat(notify.path("message").asText()).contains("NOTIFY's 8000-byte limit");
    }
  }

  @Test
  void broadcastsPerSecond() {
    try (WsClient a = WsClient.connect(plank.wsUrl())) {
      join(a, "fast");
      String send = "{\"action\":\"broadcast\",\"topic\":\"fast\",\"event\":\"e\",\"ack\":true}";
      a.send(send);
      a.send(send);
      a.send(send);
      // The refusal needs no database round trip: it may come before the acknowledgements.
      assertThat(a.next(3))
          .extracting(m -> m.path("type").asText() + ":" + m.path("code").asText())
          .containsExactlyInAnyOrder("broadcasted:", "broadcasted:", "error:rate_limited");
      plank.awaitMetric("plank_limit_hits_total{limit=\"broadcast_rate\"}", 1);
    }
  }

  static void assertError(JsonNode reply, String code, Integer id) {
    assertThat(reply.path("type").asText()).as("%s", reply).isEqualTo("error");
    assertThat(reply.path("code").asText()).as("%s", reply).isEqualTo(code);
    if (id != null) assertThat(reply.path("id").asInt()).isEqualTo(id);
  }
}
