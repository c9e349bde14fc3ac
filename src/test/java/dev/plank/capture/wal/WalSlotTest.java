package dev.plank.capture.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.cli.Main;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.CliOutput;
import dev.plank.support.LogicalPostgres;
import dev.plank.support.RawHttp;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The slot as operators see it: its retained WAL in /ready, and {@code plank slot drop}, refused
 * while a node reads the slot; a node started after the drop recreates it and its subscribers
 * resync rather than silently miss what no slot recorded.
 */
@Timeout(300) // a loaded machine starts servers and nodes slowly
class WalSlotTest {
  private static final Map<String, String> WAL = Map.of("PLANK_CAPTURE", "wal");
  DatabaseUrl database;
  TestPlank plank;

  @BeforeEach
  void start() {
    database = LogicalPostgres.create(WalSlotTest.class);
    plank = TestPlank.start(database, WAL);
  }

  @AfterEach
  void stop() {
    if (plank != null) plank.stop();
    LogicalPostgres.drop(database);
  }

  @Test
  void readyReportsTheSlotsRetainedWal() throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    String body;
    do {
      body = RawHttp.get(plank.port(), "/ready").body();
      if (!body.contains("\"slot_retained_bytes\":-1")) break;
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    assertThat(body)
        .matches(
            "\\{\"status\":\"ready\",\"database\":\"up\",\"listener\":\"up\","
                + "\"slot_retained_bytes\":[0-9]+,\"slot_above_warn\":false}");
  }

  @Test
  void slotDropIsRefusedWhileANodeReadsTheSlotAndDropsItAfterwards() throws Exception {
    awaitLeader();
    CliOutput refused = run("slot", "drop");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err().strip())
        .matches(
            "plank slot drop: the replication slot plank is in use by a running Plank \\(server"
                + " process [0-9]+\\); stop the WAL-mode nodes first");
    assertThat(slots()).isEqualTo(1);

    String cursor;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('before', 1)");
      cursor = ws.next().path("cursor").asText();
    }
    plank.stop();
    plank = null;
    awaitActiveSlots(0);

    CliOutput dropped = run("slot", "drop");
    assertThat(dropped.code()).as(dropped.err()).isZero();
    assertThat(dropped.out())
        .isEqualTo(
            "plank slot drop: dropped the replication slot plank and the publication plank ("
                + database.redacted()
                + ")\n");
    assertThat(slots()).isZero();
    CliOutput again = run("slot", "drop");
    assertThat(again.code()).isZero();
    assertThat(again.out()).startsWith("plank slot drop: no replication slot plank in ");

    // Written while no slot exists: no one will ever decode it.
    new TestDb(database).execute("INSERT INTO items(name, value) VALUES ('unseen', 2)");
    plank = TestPlank.start(database, WAL);
    assertThat(slots()).isEqualTo(1);
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"since\":\"" + cursor + "\"");
      JsonNode resync = ws.next();
      assertThat(resync.toString())
          .isEqualTo("{\"type\":\"resync\",\"channel\":\"items\",\"reason\":\"truncated\"}");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('after', 3)");
      assertThat(ws.next(java.time.Duration.ofSeconds(20)).path("data").path("name").asText())
          .isEqualTo("after");
    }
  }

  private void awaitLeader() throws InterruptedException {
    plank.awaitMetric("plank_wal_leader", 1);
    awaitActiveSlots(1);
  }

  /** The walsender starts a moment after the leader, and ends a moment after its session. */
  private void awaitActiveSlots(long expected) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (System.nanoTime() < deadline
        && new TestDb(database).count("SELECT count(*) FROM pg_replication_slots WHERE active")
            != expected) {
      Thread.sleep(20);
    }
  }

  private long slots() {
    return new TestDb(database).count("SELECT count(*) FROM pg_replication_slots");
  }

  private CliOutput run(String... args) {
    String[] full = new String[args.length + 2];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--database-url";
    full[args.length + 1] = TestPlank.url(database);
    return CliOutput.capture(() -> Main.run(full, Map.of()));
  }
}
