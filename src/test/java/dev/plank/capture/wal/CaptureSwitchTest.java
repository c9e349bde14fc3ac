package dev.plank.capture.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.LogicalPostgres;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Switching a database from trigger capture to WAL capture and back, one node at a time, with a
 * subscriber connected throughout and a writer committing throughout. Trigger to WAL: every change
 * exactly once, in order, and cursors stay valid (the log is one). WAL to trigger: the slot's
 * undecoded changes are given up, so every subscriber gets {@code resync} once, never a gap.
 */
@Timeout(300) // a loaded machine starts servers and nodes slowly
class CaptureSwitchTest {
  private static final Map<String, String> WAL = Map.of("PLANK_CAPTURE", "wal");
  DatabaseUrl database;
  final List<TestPlank> nodes = new ArrayList<>();

  @BeforeEach
  void create() {
    database = LogicalPostgres.create(CaptureSwitchTest.class);
  }

  @AfterEach
  void drop() {
    nodes.forEach(TestPlank::stop);
    LogicalPostgres.drop(database);
  }

  @Test
  void triggerToWalAndBackUnderWrites() throws Exception {
    TestPlank delivering = node(Map.of()); // trigger mode; it only delivers from the log
    try (WsClient ws = WsClient.connect(delivering.wsUrl())) {
      ws.subscribe("items");
      Writer writer = new Writer();
      writer.start();
      writer.awaitPast(20);
      TestPlank wal = node(WAL); // drops the triggers; its leader takes over
      assertThat(triggers()).isZero();
      writer.awaitPast(writer.written() + 20);
      int switched = writer.finish();
      insert("marker-1");
      List<JsonNode> first =
          ws.before(WsClient.rowWith("name", "marker-1"), Duration.ofSeconds(30));
      assertThat(values(first))
          .as("trigger to WAL: every change exactly once, in commit order, no resync")
          .isEqualTo(range(1, switched));
      JsonNode last = first.get(first.size() - 1);
      String cursor = last.path("cursor").asText();

      // A cursor from trigger mode resumes on a WAL-mode node: the log is one.
      insert("marker-2");
      try (WsClient resumed = WsClient.connect(wal.wsUrl())) {
        resumed.subscribe("items", "\"since\":\"" + cursor + "\"");
        // A replay may repeat changes from just before the cursor (clients drop them by seq).
        List<JsonNode> repeated =
            resumed.before(WsClient.rowWith("name", "marker-1"), Duration.ofSeconds(20));
        assertThat(repeated).allMatch(m -> m.path("seq").asLong() <= last.path("seq").asLong());
      }
      assertThat(ws.next(Duration.ofSeconds(20)).path("data").path("name").asText())
          .isEqualTo("marker-2");

      // And back: the WAL node goes, a trigger-mode node comes, the writer keeps writing.
      Writer again = new Writer(switched);
      again.start();
      again.awaitPast(switched + 20);
      wal.stop();
      nodes.remove(wal);
      awaitNoActiveSlot(); // its walsender ends a moment after its session
      node(Map.of());
      assertThat(triggers()).isEqualTo(1);
      assertThat(slots()).isZero();
      again.awaitPast(again.written() + 20);
      int end = again.finish();
      insert("marker-3");
      List<JsonNode> second =
          ws.before(WsClient.rowWith("name", "marker-3"), Duration.ofSeconds(30));
      long resyncs = second.stream().filter(m -> "resync".equals(m.path("type").asText())).count();
      assertThat(resyncs).as("WAL to trigger: one resync").isEqualTo(1);
      List<Integer> values = values(second);
      assertThat(values).as("never twice, in order").isSorted().doesNotHaveDuplicates();
      // What committed after the triggers were back arrives whatever the slot had.
      int afterResync = values(second.subList(indexOfResync(second), second.size())).get(0);
      assertThat(values.subList(values.indexOf(afterResync), values.size()))
          .isEqualTo(range(afterResync, end));
    }
  }

  private static int indexOfResync(List<JsonNode> messages) {
    for (int i = 0; i < messages.size(); i++) {
      if ("resync".equals(messages.get(i).path("type").asText())) return i;
    }
    return -1;
  }

  private TestPlank node(Map<String, String> settings) {
    TestPlank node = TestPlank.start(database, settings);
    nodes.add(node);
    return node;
  }

  private long triggers() {
    return new TestDb(database)
        .count("SELECT count(*) FROM pg_trigger WHERE tgname = 'plank_capture'");
  }

  private void awaitNoActiveSlot() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (new TestDb(database).count("SELECT count(*) FROM pg_replication_slots WHERE active") > 0
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private long slots() {
    return new TestDb(database).count("SELECT count(*) FROM pg_replication_slots");
  }

  private void insert(String name) {
    new TestDb(database).execute("INSERT INTO items(name, value) VALUES (?, 0)", name);
  }

  private static List<Integer> values(List<JsonNode> messages) {
    List<Integer> values = new ArrayList<>();
    for (JsonNode m : messages) {
      if ("INSERT".equals(m.path("type").asText()))
        values.add(m.path("data").path("value").asInt());
    }
    return values;
  }

  private static List<Integer> range(int from, int to) {
    List<Integer> range = new ArrayList<>();
    for (int i = from; i <= to; i++) range.add(i);
    return range;
  }

  /** Commits one INSERT at a time, value 1, 2, 3, ..., until stopped. */
  private final class Writer extends Thread {
    private final AtomicInteger written;
    private final AtomicBoolean stop = new AtomicBoolean();
    private volatile RuntimeException failure;

    Writer() {
      this(0);
    }

    Writer(int after) {
      written = new AtomicInteger(after);
      setDaemon(true);
    }

    @Override
    public void run() {
      TestDb db = new TestDb(database);
      try {
        while (!stop.get()) {
          int value = written.get() + 1;
          db.execute("INSERT INTO items(name, value) VALUES ('w', ?)", value);
          written.set(value);
        }
      } catch (RuntimeException e) {
        failure = e;
      }
    }

    int written() {
      return written.get();
    }

    void awaitPast(int value) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (written.get() < value && failure == null && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      if (failure != null) throw failure;
      assertThat(written.get()).as("rows written").isGreaterThanOrEqualTo(value);
    }

    int finish() throws InterruptedException {
      stop.set(true);
      join();
      if (failure != null) throw failure;
      return written.get();
    }
  }
}
