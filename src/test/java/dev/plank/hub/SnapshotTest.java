package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.RawWsClient;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code snapshot: true}: the matching rows in pages, then every later change, seamlessly. */
class SnapshotTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(SnapshotTest.class);
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
  void snapshotSendsTheMatchingRowsInPagesThenLiveChanges() {
    plank
        .db()
        .execute(
            "INSERT INTO items(name, value) SELECT 'row' || g, g FROM generate_series(1, 1200) g");
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"snapshot\":true,\"filter\":\"value=gt.100\"");
      Set<Integer> values = new HashSet<>();
      int pages = 0;
      JsonNode page;
      do {
        page = ws.next();
        assertThat(page.path("type").asText()).isEqualTo("snapshot");
        assertThat(page.path("channel").asText()).isEqualTo("items");
        page.path("rows").forEach(row -> values.add(row.path("value").asInt()));
        pages++;
      } while (!page.path("last").asBoolean());
      assertThat(pages).isGreaterThan(1);
      assertThat(values).hasSize(1100).allMatch(v -> v > 100);
      assertThat(page.path("cursor").asText()).matches("\\d+\\.\\d+");

      plank.db().execute("INSERT INTO items(name, value) VALUES ('after', 5000)");
      assertThat(ws.next().path("data").path("name").asText()).isEqualTo("after");
    }
  }

  @Test
  void anEmptyTableGivesOneLastPage() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"snapshot\":true,\"id\":\"s1\"");
      JsonNode page = ws.next();
      assertThat(page.path("id").asText()).isEqualTo("s1");
      assertThat(page.path("rows").size()).isZero();
      assertThat(page.path("last").asBoolean()).isTrue();
    }
  }

  @Test
  void filterValuesAreBoundNeverSql() {
    plank.db().execute("INSERT INTO items(name, value) VALUES ('x''; DROP TABLE items; --', 1)");
    plank.db().execute("INSERT INTO items(name, value) VALUES ('plain', 2)");
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe(
          "items",
          "\"snapshot\":true,\"filter\":\"name=in.(\\\"x'; DROP TABLE items; --\\\",zz)\"");
      JsonNode page = ws.next();
      assertThat(page.path("rows")).hasSize(1);
      assertThat(page.path("rows").get(0).path("value").asInt()).isEqualTo(1);
    }
    assertThat(plank.db().count("SELECT count(*) FROM items")).isEqualTo(2);
  }

  /**
   * Writers change rows while the snapshot is read: the client's copy, built from the snapshot and
   * the changes after it, ends equal to the table, and no change arrives twice.
   */
  @Test
  void snapshotPlusLiveEqualsTheTableUnderConcurrentWrites() throws Exception {
    plank
        .db()
        .execute("INSERT INTO items(name, value) SELECT 'r', g FROM generate_series(1, 3000) g");
    long first = plank.db().count("SELECT min(id) FROM items");
    CountDownLatch writing = new CountDownLatch(1);
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              ThreadLocalRandom random = ThreadLocalRandom.current();
              for (int i = 0; i < 300; i++) {
                if (i == 1) writing.countDown();
                long id = first + random.nextInt(3000);
                switch (random.nextInt(3)) {
                  case 0 -> plank.db().execute("INSERT INTO items(name, value) VALUES ('w', ?)", i);
                  case 1 ->
                      plank.db().execute("UPDATE items SET value = value + 1 WHERE id = ?", id);
                  default -> plank.db().execute("DELETE FROM items WHERE id = ?", id);
                }
              }
            });
    Map<Long, Integer> copy = new HashMap<>();
    Set<Long> seqs = new HashSet<>();
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      // Subscribe once the writer has committed, so that writes straddle the snapshot.
      assertThat(writing.await(10, TimeUnit.SECONDS)).as("the writer started").isTrue();
      ws.subscribe("items", "\"snapshot\":true");
      JsonNode page;
      do {
        page = ws.next();
        page.path("rows")
            .forEach(row -> copy.put(row.path("id").asLong(), row.path("value").asInt()));
      } while (!page.path("last").asBoolean());
      writer.join();
      plank.db().execute("INSERT INTO items(name, value) VALUES ('end', -1)");
      while (true) {
        JsonNode change = ws.next(Duration.ofSeconds(10));
        assertThat(seqs.add(change.path("seq").asLong())).as("once: %s", change).isTrue();
        long id = change.path("data").path("id").asLong();
        if (change.path("type").asText().equals("DELETE")) copy.remove(id);
        else copy.put(id, change.path("data").path("value").asInt());
        if (change.path("data").path("name").asText().equals("end")) break;
      }
    }
    Map<Long, Integer> table = new HashMap<>();
    List<Map<String, Object>> rows = plank.db().query("SELECT id, value FROM items");
    rows.forEach(r -> table.put((Long) r.get("id"), (Integer) r.get("value")));
    assertThat(copy).isEqualTo(table);
  }

  /**
   * The classic race: a change commits after the subscription exists but before the snapshot is
   * read. It is in the snapshot, so it must not come again as a change. A one-connection pool, held
   * by another client's stalled snapshot, opens exactly that window.
   */
  @Test
  void aChangeCommittedBeforeTheSnapshotIsReadIsNotSentAgain() throws Exception {
    TestPlank small = TestPlank.start(SnapshotTest.class, Map.of("PLANK_POOL_SIZE", "1"));
    try (RawWsClient stalled = RawWsClient.connect(small.port(), 4096);
        WsClient ws = WsClient.connect(small.wsUrl())) {
      small
          .db()
          .execute(
              "INSERT INTO items(name, value) SELECT repeat('n', 1000), g FROM generate_series(1, 20000) g");
      long target = small.db().count("SELECT min(id) FROM items");
      small.awaitMetric("plank_changes_received_total", 20000); // all in the hub's past
      stalled.sendText("{\"action\":\"subscribe\",\"channel\":\"items\",\"snapshot\":true}");
      awaitStalledRead(small);

      ws.subscribe("items", "\"snapshot\":true,\"filter\":\"value=lte.10\"");
      small.db().execute("UPDATE items SET value = 7, name = 'raced' WHERE id = ?", target);
      awaitHandedToTheHub(small, 20001);
      stalled.close();

      JsonNode page = ws.next(Duration.ofSeconds(10));
      assertThat(page.path("type").asText()).isEqualTo("snapshot");
      assertThat(page.path("last").asBoolean()).isTrue();
      assertThat(page.path("rows").toString()).contains("raced");
      small.db().execute("INSERT INTO items(name, value) VALUES ('marker', 1)");
      assertThat(ws.before(WsClient.rowWith("name", "marker"))).as("sent again").isEmpty();
    } finally {
      small.close();
    }
  }

  /**
   * Waits until the hub has had the node's {@code changes}th change: the listener counts a change
   * and hands it to the hub in one task on the hub's event loop, and a subscribe (here one the hub
   * refuses) runs on that loop after it.
   */
  private static void awaitHandedToTheHub(TestPlank node, int changes) {
    node.awaitMetric("plank_changes_received_total", changes);
    try (WsClient probe = WsClient.connect(node.wsUrl())) {
      probe.send("{\"action\":\"subscribe\",\"channel\":\"no_such_table\"}");
      assertThat(probe.next().path("code").asText()).isEqualTo("unknown_channel");
    }
  }

  /** Waits until the stalled client's read holds the pool's connection, idle in its transaction. */
  private static void awaitStalledRead(TestPlank node) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (node.db()
            .count(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND application_name = 'plank' AND state = 'idle in transaction'"
                    + " AND state_change < now() - interval '300 milliseconds'")
        == 0) {
      if (System.nanoTime() > deadline) throw new AssertionError("the stalled read never held");
      Thread.sleep(50);
    }
  }
}
