package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Resuming with {@code since}: every change after the cursor, then live, without gap or double. */
class ResumeTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(ResumeTest.class);
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
  void resumeReplaysEveryChangeAfterTheCursorThenContinuesLive() {
    String cursor;
    long cursorSeq;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      insert("r1", 1);
      JsonNode r1 = ws.next();
      cursor = r1.path("cursor").asText();
      cursorSeq = r1.path("seq").asLong();
    }
    insert("r2", 2);
    insert("r3", 3);
    plank.db().execute("UPDATE items SET value = 30 WHERE name = 'r3'");
    plank.db().execute("DELETE FROM items WHERE name = 'r1'");

    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"since\":\"" + cursor + "\"");
      // A replay may repeat changes from before the cursor; clients drop them by seq.
      List<JsonNode> replay = new ArrayList<>();
      while (replay.size() < 4) {
        JsonNode m = ws.next();
        if (m.path("seq").asLong() > cursorSeq) replay.add(m);
      }
      assertThat(replay)
          .extracting(m -> m.path("type").asText() + ":" + name(m))
          .containsExactly("INSERT:r2", "INSERT:r3", "UPDATE:r3", "DELETE:r1");
      assertThat(replay).extracting(m -> m.path("seq").asLong()).isSorted();
      insert("live", 4);
      assertThat(name(ws.next())).isEqualTo("live");
      insert("end", 5);
      assertThat(ws.before(WsClient.rowWith("name", "end"))).isEmpty();
    }
  }

  @Test
  void replayAppliesTheSubscriptionsFilterAndEvents() {
    String cursor;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      insert("start", 0);
      cursor = ws.next().path("cursor").asText();
    }
    insert("small", 5);
    insert("big", 500);
    plank.db().execute("UPDATE items SET value = 501 WHERE name = 'big'");
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe(
          "items",
          "\"since\":\"" + cursor + "\",\"filter\":\"value=gt.100\",\"events\":[\"UPDATE\"]");
      JsonNode only = ws.next();
      assertThat(only.path("type").asText()).isEqualTo("UPDATE");
      assertThat(only.path("data").path("value").asInt()).isEqualTo(501);
      plank.db().execute("UPDATE items SET value = 502 WHERE name = 'big'");
      assertThat(ws.before(WsClient.rowWith("value", 502))).isEmpty();
    }
  }

  /** T1 writes A and stays open; T2 writes B and commits; the client resumes from B: it gets A. */
  @Test
  void aTransactionThatCommitsAfterTheCursorsChangeIsStillReplayed() throws Exception {
    String cursorOfB;
    long seqOfB;
    try (Connection t1 = plank.db().connection();
        WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      t1.setAutoCommit(false);
      t1.createStatement().execute("INSERT INTO items(name, value) VALUES ('A', 1)");
      insert("B", 2);
      JsonNode b = ws.next();
      assertThat(name(b)).isEqualTo("B");
      cursorOfB = b.path("cursor").asText();
      seqOfB = b.path("seq").asLong();
      ws.close();
      t1.commit();
    }
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"since\":\"" + cursorOfB + "\"");
      List<JsonNode> before = ws.before(WsClient.rowWith("name", "A"));
      // Changes up to the cursor may come again: B (A's transaction was open at its cursor), and
      // any other change an open transaction anywhere on the server left unsettled then (the
      // snapshot's xmin is server-wide). Clients drop them by seq; nothing after the cursor is new.
      assertThat(before).allMatch(m -> m.path("seq").asLong() <= seqOfB, "a repeat, seq <= B's");
    }
  }

  @Test
  void liveChangesDuringAReplayAreMergedWithoutGapOrDouble() throws Exception {
    String cursor;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      insert("first", -1);
      cursor = ws.next().path("cursor").asText();
    }
    for (int i = 0; i < 1200; i += 100) {
      plank
          .db()
          .execute(
              "INSERT INTO items(name, value) SELECT 'old', g FROM generate_series(?, ?) g",
              i,
              i + 99);
    }
    int live = 300;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < live; i++) insert("new", i);
              });
      ws.subscribe("items", "\"since\":\"" + cursor + "\"");
      Set<Long> seqs = new HashSet<>();
      List<Integer> newValues = new ArrayList<>();
      while (newValues.size() < live) {
        JsonNode m = ws.next(Duration.ofSeconds(10));
        assertThat(seqs.add(m.path("seq").asLong())).as("delivered once: %s", m).isTrue();
        if (!name(m).equals("old") && !name(m).equals("new")) seqs.remove(m.path("seq").asLong());
        if (name(m).equals("new")) newValues.add(m.path("data").path("value").asInt());
      }
      writer.join();
      assertThat(seqs).hasSize(1200 + live);
      assertThat(newValues).isSorted();
      insert("end", live);
      assertThat(ws.before(WsClient.rowWith("name", "end"))).isEmpty();
    }
  }

  @Test
  void aCursorFromOneNodeResumesOnAnother() {
    String cursor;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      insert("n1", 1);
      cursor = ws.next().path("cursor").asText();
    }
    insert("n2", 2);
    TestPlank other = TestPlank.start(plank.db().url(), Map.of("PLANK_INIT", "false"));
    try (WsClient ws = WsClient.connect(other.wsUrl())) {
      ws.subscribe("items", "\"since\":\"" + cursor + "\"");
      assertThat(name(ws.next())).isEqualTo("n2");
    } finally {
      other.stop(); // the database belongs to this class's node
    }
  }

  /**
   * A cursor this log never issued (from a restored or recreated database) cannot say what the
   * client missed: it must reload, not silently skip the changes it lacks.
   */
  @Test
  void aCursorBeyondTheLogGetsResyncThenLiveChanges() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"since\":\"999999999.999999999\"");
      JsonNode resync = ws.next();
      assertThat(resync.path("type").asText()).isEqualTo("resync");
      assertThat(resync.path("reason").asText()).isEqualTo("cursor_expired");
      insert("later", 1);
      assertThat(name(ws.next())).isEqualTo("later");
    }
  }

  private static void insert(String name, int value) {
    plank.db().execute("INSERT INTO items(name, value) VALUES (?, ?)", name, value);
  }

  private static String name(JsonNode message) {
    return message.path("data").path("name").asText();
  }
}
