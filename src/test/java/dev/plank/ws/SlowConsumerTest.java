package dev.plank.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.RawWsClient;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A client that stops reading is cut off at its queue bound; the others receive everything. */
class SlowConsumerTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(SlowConsumerTest.class, Map.of("PLANK_MAX_QUEUE_BYTES", "65536"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void aStalledClientIsClosedWhileAHundredHealthyOnesReceiveEverything() throws Exception {
    List<WsClient> healthy = new ArrayList<>();
    try (RawWsClient stalled = RawWsClient.connect(plank.port(), 4096)) {
      stalled.sendText("{\"action\":\"subscribe\",\"channel\":\"items\"}");
      for (int i = 0; i < 100; i++) {
        WsClient client = WsClient.connect(plank.wsUrl());
        healthy.add(client);
        client.subscribe("items", "\"events\":[\"INSERT\"]");
      }
      plank.awaitMetric("plank_subscriptions", 101); // the stalled client's too, unread
      // The stalled client also gets large updates of a ballast row (about 120 KB a change, old
      // and new), enough to fill the kernel's socket buffers and then its queue bound.
      plank.db().execute("INSERT INTO items(name, value) VALUES ('ballast', -1)");
      String ballast = "b".repeat(60_000);
      int rows = 200;
      for (int i = 0; i < rows; i++) {
        plank.db().execute("INSERT INTO items(name, value) VALUES (?, ?)", "small", i);
        plank.db().execute("UPDATE items SET name = ? || ? WHERE value = -1", ballast, i);
      }
      for (WsClient client : healthy) {
        assertThat(client.next().path("data").path("value").asInt()).isEqualTo(-1);
        for (int i = 0; i < rows; i++) {
          JsonNode change = client.next(Duration.ofSeconds(10));
          assertThat(change.path("data").path("value").asInt()).isEqualTo(i);
        }
      }
      plank.awaitMetric("plank_slow_consumers_total", 1.0);

      RawWsClient.Outcome outcome = stalled.readUntilClose(Duration.ofSeconds(10));
      assertThat(outcome.closeCode()).isEqualTo(1008);
      assertThat(outcome.closeReason()).isEqualTo("slow consumer");
      assertThat(outcome.textFrames()).as("frames before the cut").isLessThan(2 * rows);
    } finally {
      healthy.forEach(WsClient::close);
    }
  }
}
