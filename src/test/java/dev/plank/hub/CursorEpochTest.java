package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A cursor tagged with another history's epoch cannot say what the client missed here: it gets
 * {@code resync}, never a replay from a position that means something else.
 */
class CursorEpochTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(CursorEpochTest.class);
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void aCursorOfAnotherEpochGetsResyncAndThenTheLiveStream() {
    String cursor;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      insert(1);
      cursor = ws.next().path("cursor").asText();
    }
    assertThat(cursor).doesNotContain(":");
    insert(2);
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      // The same numbers, which would replay change 2 in the trigger log's own epoch.
      ws.subscribe("items", "\"since\":\"wal7:" + cursor + "\"");
      JsonNode resync = ws.next();
      assertThat(resync.toString())
          .isEqualTo("{\"type\":\"resync\",\"channel\":\"items\",\"reason\":\"cursor_expired\"}");
      insert(3);
      assertThat(ws.next().path("data").path("value").asInt()).isEqualTo(3);
    }
  }

  @Test
  void aMalformedEpochIsABadRequest() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.send("{\"action\":\"subscribe\",\"channel\":\"items\",\"since\":\"WAL:1.2\",\"id\":1}");
      JsonNode error = ws.next();
      assertThat(error.path("type").asText()).isEqualTo("error");
      assertThat(error.path("code").asText()).isEqualTo("bad_request");
      assertThat(error.path("id").asInt()).isEqualTo(1);
    }
  }

  private static void insert(int value) {
    plank.db().execute("INSERT INTO items(name, value) VALUES ('e', ?)", value);
  }
}
