package dev.plank.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.RawHttp;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Messages and subscribes over their rate get {@code rate_limited} with the request's id; a client
 * that keeps flooding is closed with 1008; the others are served throughout.
 */
class RateLimitTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank =
        TestPlank.start(
            RateLimitTest.class,
            Map.of(
                "PLANK_MESSAGE_RATE", "1",
                "PLANK_MESSAGE_BURST", "10",
                "PLANK_SUBSCRIBE_RATE", "1",
                "PLANK_SUBSCRIBE_BURST", "3",
                "PLANK_RATE_LIMIT_STRIKES", "3",
                "PLANK_RATE_LIMIT_COOLDOWN", "1s"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void aPingFloodIsRefusedThenClosedWhileAnotherClientIsServed() {
    try (WsClient canary = WsClient.connect(plank.wsUrl());
        WsClient flooder = WsClient.connect(plank.wsUrl())) {
      canary.subscribe("items");
      // The burst is answered; the next one is refused with its id, the connection stays open.
      for (int i = 1; i <= 11; i++) flooder.send("{\"action\":\"ping\",\"id\":" + i + "}");
      for (int i = 1; i <= 10; i++) {
        assertThat(flooder.next().path("type").asText()).isEqualTo("pong");
      }
      JsonNode refusal = flooder.next();
      assertThat(refusal.path("type").asText()).isEqualTo("error");
      assertThat(refusal.path("code").asText()).isEqualTo("rate_limited");
      assertThat(refusal.path("id").asInt()).isEqualTo(11);
      assertThat(refusal.path("message").asText()).contains("more than 1 messages a second");
      // A flood that goes on is closed.
      try {
        for (int i = 12; i <= 200 && !flooder.closed().isDone(); i++) {
          flooder.send("{\"action\":\"ping\",\"id\":" + i + "}");
        }
      } catch (java.util.concurrent.CompletionException e) {
        // the server closed it while we sent: what the test expects
      }
      WsClient.Closed closed = flooder.awaitClose();
      assertThat(closed.code()).isEqualTo(1008);
      assertThat(closed.reason()).isEqualTo("rate limited");
      // Reconnecting at once does not buy a fresh rate: the address cools down first.
      RawHttp.Response again = RawHttp.upgrade(plank.port(), "/ws", Map.of());
      assertThat(again.status()).isEqualTo(503);
      assertThat(again.body()).contains("cut off for sending too fast");
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
      while (RawHttp.upgrade(plank.port(), "/ws", Map.of()).status() != 101) {
        assertThat(System.nanoTime()).as("admitted again after the cool-down").isLessThan(deadline);
      }

      plank.db().execute("INSERT INTO items(name, value) VALUES ('canary', 1)");
      assertThat(canary.next().path("data").path("name").asText()).isEqualTo("canary");
      assertThat(plank.metric("plank_limit_hits_total{limit=\"message_rate\"}"))
          .isGreaterThanOrEqualTo(3);
      assertThat(plank.metric("plank_limit_hits_total{limit=\"rate_limit_close\"}"))
          .isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void subscribesOverTheirRateAreRefusedBeforeTheyReachTheHub() {
    try (WsClient client = WsClient.connect(plank.wsUrl())) {
      for (int i = 1; i <= 4; i++) {
        client.send("{\"action\":\"subscribe\",\"channel\":\"items\",\"id\":" + i + "}");
      }
      int subscribed = 0;
      JsonNode refusal = null;
      for (int i = 0; i < 4; i++) {
        JsonNode reply = client.next();
        if (reply.path("type").asText().equals("subscribed")) subscribed++;
        else refusal = reply;
      }
      assertThat(subscribed).isEqualTo(3);
      assertThat(refusal).isNotNull();
      assertThat(refusal.path("code").asText()).isEqualTo("rate_limited");
      assertThat(refusal.path("id").asInt()).isEqualTo(4);
      assertThat(refusal.path("message").asText())
          .contains("more than 1 subscribe/unsubscribe requests a second");
      // Pings are not subscribes: still answered, and the connection stays open.
      client.send("{\"action\":\"ping\",\"id\":5}");
      assertThat(client.next().path("type").asText()).isEqualTo("pong");
      assertThat(plank.metric("plank_limit_hits_total{limit=\"subscribe_rate\"}"))
          .isGreaterThanOrEqualTo(1);
    }
  }
}
