package dev.plank.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.LogicalPostgres;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Transactions larger than the leader's heap ({@code java -jar} with {@code -Xmx128m}): one UPDATE
 * of about 200 MB of row JSON (new and old), and one UPDATE of a million narrow rows. The leader
 * streams each into the log in bounded parts, and a subscriber gets every row once, in the
 * transaction's order. A leader that held a whole transaction, or a thousand of the large rows,
 * would run out of memory. In the {@code -Pcluster} run: they write hundreds of MB of WAL, too slow
 * for the main suite.
 */
class WalLargeTransactionIT {
  private static final Duration LONG = Duration.ofSeconds(90);
  private static final int MD5S = 1_000; // 32 characters each: a 32 KB body per row

  /** What one delivered row must be; throws AssertionError when it is not. */
  private interface RowCheck {
    void check(int id, JsonNode change);
  }

  @Test
  @Timeout(180)
  void aTransactionLargerThanTheHeapIsDeliveredWholeInOrder() throws Exception {
    updateEveryRow(
        "big",
        3_000,
        sql -> {
          // Random hex: TOAST compression cannot shrink it, so the WAL and the decoded rows are
          // big.
          sql.execute("CREATE TABLE big (id int PRIMARY KEY, n int NOT NULL, body text NOT NULL)");
          sql.execute(
              "INSERT INTO big SELECT r, 0, (SELECT string_agg(md5(random()::text || k || r), '')"
                  + " FROM generate_series(1, ?) k) FROM generate_series(1, ?) r",
              MD5S,
              3_000);
        },
        (id, change) -> {
          assertThat(change.path("type").asText()).as("row %d", id).isEqualTo("UPDATE");
          assertThat(change.path("data").path("id").asInt()).isEqualTo(id);
          assertThat(change.path("data").path("n").asInt()).isEqualTo(1);
          // The unchanged TOASTed body comes whole, filled from the old row.
          assertThat(change.path("data").path("body").asText()).hasSize(32 * MD5S);
          assertThat(change.path("old").path("n").asInt()).isZero();
        });
  }

  @Test
  @Timeout(600)
  void aMillionRowUpdateIsDeliveredWholeInOrder() throws Exception {
    int rows = 1_000_000;
    updateEveryRow(
        "counters",
        rows,
        sql -> {
          sql.execute("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)");
          sql.execute("INSERT INTO counters SELECT r, 0 FROM generate_series(1, ?) r", rows);
        },
        (id, change) -> {
          // Checked by hand: a million AssertJ chains would dominate the test's time.
          if (!"UPDATE".equals(change.path("type").asText())
              || change.path("data").path("id").asInt() != id
              || change.path("data").path("n").asInt() != 1) {
            throw new AssertionError("row " + id + " out of order or wrong: " + change);
          }
        });
  }

  /**
   * Creates and fills {@code table} (ids 1 to {@code rows}), starts a WAL leader with a 128 MB heap
   * on it, subscribes, runs {@code UPDATE table SET n = n + 1} and checks that every row arrives
   * once, in id order, with rising cursors.
   */
  private static void updateEveryRow(
      String table, int rows, java.util.function.Consumer<TestDb> prepare, RowCheck check)
      throws Exception {
    DatabaseUrl db = LogicalPostgres.create(WalLargeTransactionIT.class);
    Path dir = PlankProcess.tempDir("plank-wal-large");
    TestDb sql = new TestDb(db);
    prepare.accept(sql);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    PlankProcess node =
        PlankProcess.startJar(
            PlankProcess.jar(),
            dir,
            Map.of(
                "DATABASE_URL",
                TestPlank.url(db),
                "PLANK_PORT",
                Integer.toString(port),
                "PLANK_CAPTURE",
                "wal",
                "PLANK_TABLES",
                table,
                "JAVA_TOOL_OPTIONS",
                "-Xmx128m -XX:+UseSerialGC"));
    try {
      node.awaitLine(l -> l.startsWith("Plank listening"), LONG);
      try (WsClient ws = WsClient.connect("ws://127.0.0.1:" + port + "/ws")) {
        ws.subscribe(table);
        // A single statement over freshly inserted rows: it updates them in id order.
        CompletableFuture<Void> update =
            CompletableFuture.runAsync(() -> sql.execute("UPDATE " + table + " SET n = n + 1"));
        long lastSeq = 0;
        for (int id = 1; id <= rows; id++) {
          JsonNode change;
          try {
            change = ws.next(LONG);
          } catch (AssertionError e) {
            throw new AssertionError(
                "row " + id + " did not arrive; the node said:\n" + tail(node));
          }
          check.check(id, change);
          long seq = change.path("seq").asLong();
          if (seq <= lastSeq)
            throw new AssertionError("row " + id + ": cursor " + seq + " <= " + lastSeq);
          lastSeq = seq;
        }
        update.get(LONG.toSeconds(), TimeUnit.SECONDS);
      }
      assertThat(node.isAlive()).as("the node is still up").isTrue();
      assertThat(node.lines()).noneMatch(l -> l.contains("OutOfMemoryError"));
      assertThat(sql.count("SELECT count(*) FROM plank.changes WHERE table_name = ?", table))
          .isEqualTo(rows);
    } finally {
      node.close();
      LogicalPostgres.drop(db);
      PlankProcess.deleteTree(dir);
    }
  }

  private static String tail(PlankProcess node) {
    var lines = node.lines();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
