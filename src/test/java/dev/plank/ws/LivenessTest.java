package dev.plank.ws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.RawWsClient;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server pings quiet clients and closes those that stop answering. */
class LivenessTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(LivenessTest.class, Map.of("PLANK_PING_INTERVAL", "500ms"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void aClientThatNeverAnswersPingsIsClosedWhileAnAnsweringOneStays() throws Exception {
    try (RawWsClient silent = RawWsClient.connect(plank.port(), 65536);
        WsClient polite = WsClient.connect(plank.wsUrl())) { // answers pings, as browsers do
      polite.subscribe("items");
      assertThat(silent.serverClosed(Duration.ofSeconds(8)))
          .as("the silent client was closed")
          .isTrue();
      assertThat(polite.closed()).isNotDone();
      plank.db().execute("INSERT INTO items(name, value) VALUES ('still here', 1)");
      assertThat(polite.next().path("data").path("name").asText()).isEqualTo("still here");
    }
  }
}
