package dev.plank.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Writes from plain SQL reach subscribers whole, once, in commit order; rollbacks never do. */
class DeliveryTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(DeliveryTest.class);
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

  @Test
  void insertUpdateDeleteArriveWithExactPayloads() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      JsonNode ack = ws.subscribe("items", "\"id\":\"r1\"");
      assertThat(ack.toString())
          .isEqualTo("{\"type\":\"subscribed\",\"id\":\"r1\",\"channel\":\"items\"}");

      long id =
          (Long)
              plank
                  .db()
                  .query("INSERT INTO items(name, value) VALUES ('a', 11) RETURNING id")
                  .get(0)
                  .get("id");
      JsonNode insert = ws.next();
      assertThat(insert.path("type").asText()).isEqualTo("INSERT");
      assertThat(insert.path("channel").asText()).isEqualTo("items");
      assertThat(insert.path("schema").asText()).isEqualTo("public");
      assertThat(insert.path("table").asText()).isEqualTo("items");
      assertThat(insert.path("data").path("id").asLong()).isEqualTo(id);
      assertThat(insert.path("data").path("name").asText()).isEqualTo("a");
      assertThat(insert.path("data").path("value").asInt()).isEqualTo(11);
      assertThat(insert.path("data").has("created_at")).isTrue();
      assertThat(insert.has("old")).isFalse();
      long seq = insert.path("seq").asLong();
      assertThat(seq).isPositive();
      assertThat(insert.path("cursor").asText()).matches(seq + "\\.\\d+");
      assertThat(insert.path("ts").asText())
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z");

      plank.db().execute("UPDATE items SET value = 12, name = 'b' WHERE id = ?", id);
      JsonNode update = ws.next();
      assertThat(update.path("type").asText()).isEqualTo("UPDATE");
      assertThat(update.path("data").path("value").asInt()).isEqualTo(12);
      assertThat(update.path("data").path("name").asText()).isEqualTo("b");
      assertThat(update.path("old").path("value").asInt()).isEqualTo(11);
      assertThat(update.path("old").path("name").asText()).isEqualTo("a");
      assertThat(update.path("seq").asLong()).isGreaterThan(seq);

      plank.db().execute("DELETE FROM items WHERE id = ?", id);
      JsonNode delete = ws.next();
      assertThat(delete.path("type").asText()).isEqualTo("DELETE");
      assertThat(delete.path("data").path("id").asLong()).isEqualTo(id);
      assertThat(delete.path("data").path("value").asInt()).isEqualTo(12);
      assertThat(delete.has("old")).isFalse();
      plank.db().execute("INSERT INTO items(name, value) VALUES ('end', 13)");
      assertThat(ws.before(WsClient.rowWith("name", "end"))).isEmpty();
    }
  }

  @Test
  void rolledBackWritesAreNeverDelivered() throws Exception {
    try (WsClient ws = WsClient.connect(plank.wsUrl());
        Connection conn = plank.db().connection()) {
      ws.subscribe("items");
      conn.setAutoCommit(false);
      try (Statement stmt = conn.createStatement()) {
        stmt.execute("INSERT INTO items(name, value) VALUES ('ghost', 1)");
      }
      conn.rollback();
      plank.db().execute("INSERT INTO items(name, value) VALUES ('real', 2)");
      JsonNode change = ws.next();
      assertThat(change.path("data").path("name").asText())
          .as("seq %s", change.path("seq"))
          .isEqualTo("real");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('end', 3)");
      assertThat(ws.before(WsClient.rowWith("name", "end"))).isEmpty();
    }
  }

  @Test
  void changesArriveInCommitOrderNotWriteOrder() throws Exception {
    try (WsClient ws = WsClient.connect(plank.wsUrl());
        Connection first = plank.db().connection();
        Connection second = plank.db().connection()) {
      ws.subscribe("items");
      first.setAutoCommit(false);
      second.setAutoCommit(false);
      first.createStatement().execute("INSERT INTO items(name) VALUES ('written first')");
      second.createStatement().execute("INSERT INTO items(name) VALUES ('written second')");
      second.commit();
      first.commit();
      List<JsonNode> changes = ws.next(2);
      assertThat(changes)
          .extracting(c -> c.path("data").path("name").asText())
          .containsExactly("written second", "written first");
      assertThat(changes.get(0).path("seq").asLong())
          .isGreaterThan(changes.get(1).path("seq").asLong());
    }
  }

  @Test
  void concurrentWritersAreDeliveredCompletelyInCommitOrder() throws Exception {
    int writers = 4;
    int perWriter = 50;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      CountDownLatch done = new CountDownLatch(writers);
      for (int w = 0; w < writers; w++) {
        int writer = w;
        var unused =
            pool.submit(
                () -> {
                  try (Connection conn = plank.db().connection()) {
                    for (int i = 0; i < perWriter; i++) {
                      conn.createStatement()
                          .execute(
                              "INSERT INTO items(name, value) VALUES ('w"
                                  + writer
                                  + "', "
                                  + i
                                  + ")");
                    }
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  } finally {
                    done.countDown();
                  }
                });
      }
      assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
      pool.shutdown();
      List<JsonNode> changes = ws.next(writers * perWriter);
      // Each writer commits its rows in order, so per writer the values must arrive ascending.
      for (int w = 0; w < writers; w++) {
        String name = "w" + w;
        List<Integer> values = new ArrayList<>();
        for (JsonNode c : changes) {
          if (c.path("data").path("name").asText().equals(name))
            values.add(c.path("data").path("value").asInt());
        }
        assertThat(values).as("values of writer %s", name).hasSize(perWriter).isSorted();
      }
      plank.db().execute("INSERT INTO items(name, value) VALUES ('end', 0)");
      assertThat(ws.before(WsClient.rowWith("name", "end"))).isEmpty();
    }
  }

  @Test
  void aOneMegabyteRowArrivesWhole() {
    String big = "x".repeat(1024 * 1024);
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('small before', 1)");
      plank.db().execute("INSERT INTO items(name, value) VALUES (?, 2)", big);
      plank.db().execute("INSERT INTO items(name, value) VALUES ('small after', 3)");
      List<JsonNode> changes = ws.next(3);
      assertThat(changes.get(0).path("data").path("name").asText()).isEqualTo("small before");
      String received = changes.get(1).path("data").path("name").asText();
      assertThat(received.length()).isEqualTo(big.length());
      assertThat(received.equals(big)).as("the 1 MB value arrives unchanged").isTrue();
      assertThat(changes.get(2).path("data").path("name").asText()).isEqualTo("small after");
    }
  }

  @Test
  void aWriteMadeRightAfterTheAcknowledgementIsDelivered() {
    for (int round = 0; round < 20; round++) {
      try (WsClient ws = WsClient.connect(plank.wsUrl())) {
        ws.subscribe("items");
        plank.db().execute("INSERT INTO items(name, value) VALUES ('race', ?)", round);
        assertThat(ws.next().path("data").path("value").asInt()).isEqualTo(round);
      }
    }
  }
}
