package dev.plank.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The log is pruned by age and size; a cursor into the pruned part gets {@code resync}. */
class RetentionTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank =
        TestPlank.start(
            RetentionTest.class,
            Map.of("PLANK_LOG_MAX_ROWS", "50", "PLANK_PRUNE_INTERVAL", "200ms"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void theLogKeepsAtMostMaxRowsAndAnExpiredCursorGetsResync() throws Exception {
    String oldCursor;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      insert(0);
      oldCursor = ws.next().path("cursor").asText();
      for (int i = 1; i < 120; i++) insert(i);
      awaitLogSize(50);
    }
    assertThat(plank.metric("plank_changes_pruned_total")).isGreaterThanOrEqualTo(70);
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"since\":\"" + oldCursor + "\"");
      JsonNode resync = ws.next();
      assertThat(resync.toString())
          .isEqualTo("{\"type\":\"resync\",\"channel\":\"items\",\"reason\":\"cursor_expired\"}");
      insert(1000);
      assertThat(ws.next().path("data").path("value").asInt()).isEqualTo(1000);
    }
  }

  @Test
  void changesOlderThanTheRetentionArePrunedAndARecentCursorStillResumes() throws Exception {
    String recentCursor;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      insert(1);
      insert(2);
      ws.next();
      recentCursor = ws.next().path("cursor").asText();
    }
    insert(3);
    // Age every change but the newest two past the 24 h default retention.
    plank
        .db()
        .execute(
            "UPDATE plank.changes SET ts = ts - interval '2 days'"
                + " WHERE seq < (SELECT max(seq) - 1 FROM plank.changes)");
    awaitLogSize(2);
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"since\":\"" + recentCursor + "\"");
      assertThat(ws.next().path("data").path("value").asInt()).isEqualTo(3);
    }
  }

  private static void insert(int value) {
    plank.db().execute("INSERT INTO items(name, value) VALUES ('r', ?)", value);
  }

  private static void awaitLogSize(long max) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (plank.db().count("SELECT count(*) FROM plank.changes") > max) {
      if (System.nanoTime() > deadline) throw new AssertionError("the log was not pruned");
      Thread.sleep(50);
    }
  }
}
