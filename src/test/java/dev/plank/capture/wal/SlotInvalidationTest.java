package dev.plank.capture.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.db.EmbeddedDatabase;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A slot the server invalidated ({@code max_slot_wal_keep_size}: it removed WAL the slot still
 * needed) lost changes no one will decode. Capture must neither stall nor skip them silently: the
 * leader recreates the slot and every subscriber, and every cursor from before, gets {@code
 * resync}. A server of its own, as {@code max_slot_wal_keep_size} is tiny here and server-wide.
 */
@Timeout(300) // a loaded machine starts servers and nodes slowly
class SlotInvalidationTest {
  // Slot names are server-wide: each test's database has its own.
  private static final Map<String, String> RUNTIME =
      Map.of("PLANK_CAPTURE", "wal", "PLANK_SLOT", "runtime");
  private static final Map<String, String> START =
      Map.of("PLANK_CAPTURE", "wal", "PLANK_SLOT", "start");
  static Path dir;
  static EmbeddedDatabase server;

  @BeforeAll
  static void startServer() throws Exception {
    dir = Files.createTempDirectory("plank-test-slot-lost");
    server = EmbeddedDatabase.start(dir);
    TestDb admin = new TestDb(server.url());
    admin.execute("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
    admin.execute("SELECT pg_reload_conf()");
  }

  @AfterAll
  static void stopServer() {
    if (server != null) server.close();
    PlankProcess.deleteTree(dir);
  }

  @Test
  void aSlotInvalidatedWhileTheLeaderReadsIsRecreatedAndEverySubscriberResyncs() throws Exception {
    DatabaseUrl database = database("runtime");
    TestPlank plank = TestPlank.start(database, RUNTIME);
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      insert(database, "first");
      assertThat(ws.next(Duration.ofSeconds(20)).path("data").path("name").asText())
          .isEqualTo("first");

      // The leader is held up (its appends wait for this lock), so the slot falls behind while
      // the server writes and recycles WAL, until it invalidates the slot.
      try (Connection hold = new TestDb(database).connection()) {
        hold.setAutoCommit(false);
        hold.createStatement().execute("LOCK TABLE plank.changes IN ACCESS EXCLUSIVE MODE");
        insert(database, "held");
        invalidate(database);
        hold.rollback();
      }
      // No silent stall: the resync comes (after what the leader had appended), then capture goes
      // on.
      List<JsonNode> before =
          ws.before(
              m ->
                  m.toString()
                      .equals(
                          "{\"type\":\"resync\",\"channel\":\"items\",\"reason\":\"truncated\"}"),
              Duration.ofSeconds(60));
      assertThat(before).allMatch(m -> "INSERT".equals(m.path("type").asText()));
      insert(database, "after");
      List<JsonNode> between = ws.before(WsClient.rowWith("name", "after"), Duration.ofSeconds(60));
      assertThat(between).allMatch(m -> "resync".equals(m.path("type").asText()));
      assertThat(slotStatus(database)).isNotEqualTo("lost");
    } finally {
      plank.stop();
    }
  }

  @Test
  void aSlotFoundInvalidatedAtStartIsRecreatedAndAnOldCursorResyncs() throws Exception {
    DatabaseUrl database = database("start");
    TestPlank plank = TestPlank.start(database, START);
    String cursor;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      insert(database, "first");
      cursor = ws.next(Duration.ofSeconds(20)).path("cursor").asText();
    }
    plank.stop();
    insert(database, "while stopped");
    invalidate(database);

    plank = TestPlank.start(database, START);
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"since\":\"" + cursor + "\"");
      assertThat(ws.next(Duration.ofSeconds(20)).toString())
          .isEqualTo("{\"type\":\"resync\",\"channel\":\"items\",\"reason\":\"truncated\"}");
      insert(database, "after");
      assertThat(ws.next(Duration.ofSeconds(20)).path("data").path("name").asText())
          .isEqualTo("after");
      assertThat(slotStatus(database)).isNotEqualTo("lost");
    } finally {
      plank.stop();
    }
  }

  private static DatabaseUrl database(String name) {
    new TestDb(server.url()).execute("CREATE DATABASE slot_lost_" + name);
    return server.url().withDatabase("slot_lost_" + name);
  }

  private static void insert(DatabaseUrl database, String name) {
    new TestDb(database).execute("INSERT INTO items(name, value) VALUES (?, 1)", name);
  }

  private static String slotStatus(DatabaseUrl database) {
    return (String)
        new TestDb(database)
            .query(
                "SELECT wal_status FROM pg_replication_slots WHERE database = current_database()")
            .get(0)
            .get("wal_status");
  }

  /** Writes and switches WAL segments, and checkpoints, until the server gives up the slot. */
  private static void invalidate(DatabaseUrl database) throws InterruptedException {
    TestDb db = new TestDb(database);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!"lost".equals(slotStatus(database))) {
      assertThat(System.nanoTime()).as("the slot invalidated within 60 s").isLessThan(deadline);
      db.execute("CREATE TEMP TABLE IF NOT EXISTS filler AS SELECT 1 AS x");
      db.execute("SELECT pg_switch_wal()");
      db.execute("CHECKPOINT");
      Thread.sleep(50);
    }
  }
}
