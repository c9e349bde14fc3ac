package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Filters, event lists and unsubscribe decide exactly which changes a client receives. */
class FilterDeliveryTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(FilterDeliveryTest.class);
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @BeforeEach
  void clean() {
    plank
        .db()
        .execute(
            // Without the TRUNCATE trigger: its resync would reach the next test's subscriber.
            "SET session_replication_role = replica; TRUNCATE items");
  }

  /** Inserts rows with values null, 5, 10, 15 and names a, b, c, d; answers the values received. */
  @ParameterizedTest(name = "{0} receives {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "value=eq.10            | 10",
        "value=neq.10           | 5,15",
        "value=lt.10            | 5",
        "value=lte.10           | 5,10",
        "value=gt.10            | 15",
        "value=gte.10           | 10,15",
        "value=in.(5,15)        | 5,15",
        "value=is.null          | null",
        "name=eq.c              | 10",
        "name=in.(a,\"d\")      | null,15",
        "name=gt.b&value=lt.15  | 10",
        "id=gt.0&name=neq.zzz   | null,5,10,15",
      })
  void everyOperatorSelectsTheRightRows(String filter, String expected) {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"filter\":\"" + filter.replace("\"", "\\\"") + "\"");
      plank
          .db()
          .execute(
              "INSERT INTO items(name, value) VALUES ('a', NULL), ('b', 5), ('c', 10), ('d', 15)");
      // A later UPDATE of every row ends the inserts: the filter passes the same rows again (old or
      // new row matches), and commit order puts every INSERT it passed before the first of them.
      plank.db().execute("UPDATE items SET name = name");
      List<String> received = new java.util.ArrayList<>();
      for (JsonNode message : ws.before(m -> m.path("type").asText().equals("UPDATE"))) {
        assertThat(message.path("type").asText()).isEqualTo("INSERT");
        received.add(
            message.path("data").path("value").isNull()
                ? "null"
                : message.path("data").path("value").asText());
      }
      assertThat(String.join(",", received)).isEqualTo(expected.strip());
    }
  }

  @Test
  void anUpdateMatchesWhenTheOldOrTheNewRowMatches() {
    long id =
        (Long)
            plank
                .db()
                .query("INSERT INTO items(name, value) VALUES ('x', 5) RETURNING id")
                .get(0)
                .get("id");
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"filter\":\"value=gt.10\"");
      plank.db().execute("UPDATE items SET value = 20 WHERE id = ?", id); // enters the view
      JsonNode enter = ws.next();
      assertThat(enter.path("type").asText()).isEqualTo("UPDATE");
      assertThat(enter.path("data").path("value").asInt()).isEqualTo(20);
      plank.db().execute("UPDATE items SET value = 1 WHERE id = ?", id); // leaves the view
      JsonNode leave = ws.next();
      assertThat(leave.path("data").path("value").asInt()).isEqualTo(1);
      assertThat(leave.path("old").path("value").asInt()).isEqualTo(20);
      plank.db().execute("UPDATE items SET value = 2 WHERE id = ?", id); // outside, both sides
      plank.db().execute("UPDATE items SET value = 30 WHERE id = ?", id); // enters again
      assertThat(ws.before(WsClient.rowWith("value", 30))).as("before re-entering").isEmpty();
    }
  }

  @Test
  void theEventsListSelectsOperations() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"events\":[\"DELETE\"]");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('e', 1)");
      plank.db().execute("UPDATE items SET value = 2");
      plank.db().execute("DELETE FROM items");
      JsonNode change = ws.next();
      assertThat(change.path("type").asText()).isEqualTo("DELETE");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('f', 3)");
      plank.db().execute("UPDATE items SET value = 4");
      plank.db().execute("DELETE FROM items"); // the marker: the next DELETE
      JsonNode next = ws.next();
      assertThat(next.path("type").asText()).isEqualTo("DELETE");
      assertThat(next.path("data").path("name").asText()).isEqualTo("f");
    }
  }

  @Test
  void unsubscribeStopsDeliveryAndResubscribeReplaces() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"filter\":\"value=eq.1\"");
      ws.subscribe("public.items", "\"filter\":\"value=eq.2\""); // replaces: same channel
      plank.db().execute("INSERT INTO items(name, value) VALUES ('one', 1), ('two', 2)");
      // Commit order: a change for value 1 (the replaced filter) would have come first.
      assertThat(ws.next().path("data").path("value").asInt()).isEqualTo(2);

      ws.send("{\"action\":\"unsubscribe\",\"channel\":\"items\",\"id\":7}");
      assertThat(ws.next().toString())
          .isEqualTo("{\"type\":\"unsubscribed\",\"id\":7,\"channel\":\"items\"}");
      double received = plank.metric("plank_changes_received_total");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('two again', 2)");
      // The listener counts a change and hands it to the hub in one task on the hub's loop; a
      // subscribe runs on that loop after it. So the marker's subscription comes after 'two again'.
      plank.awaitMetric("plank_changes_received_total", received + 1);
      ws.subscribe("items", "\"filter\":\"value=eq.3\"");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('three', 3)");
      assertThat(ws.before(WsClient.rowWith("name", "three"))).as("after unsubscribe").isEmpty();
    }
  }
}
