package dev.plank.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.LogicalPostgres;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The WAL leader ({@code java -jar target/plank.jar} with {@code PLANK_CAPTURE=wal}, three nodes)
 * is killed with SIGKILL again and again while eight writers commit single-row transactions, and
 * once more in the middle of appending one large transaction: a standby takes over each time, and a
 * subscriber gets every change exactly once, in commit order. Run by {@code mvn -B verify
 * -Pcluster} with the other multi-node tests.
 */
class WalFailoverIT {
  private static final Duration LONG = Duration.ofSeconds(60);
  // A restarted JVM on a busy 2-core machine can take a while to serve again.
  private static final Duration RESTART = Duration.ofSeconds(120);
  private static final int NODES = 3;
  private static final int WRITERS = 8;
  private static final int KILLS = 4;
  private static final int BIG = 20_000; // rows of the transaction the leader dies in

  @Test
  @Timeout(300)
  void everyChangeOnceInOrderAcrossLeaderKills() throws Exception {
    DatabaseUrl db = LogicalPostgres.create(WalFailoverIT.class);
    Path dir = PlankProcess.tempDir("plank-wal-failover");
    PlankProcess[] nodes = new PlankProcess[NODES];
    int[] ports = new int[NODES];
    ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
    AtomicBoolean writing = new AtomicBoolean(true);
    Collector got = null;
    TestPlank delivery = null;
    try {
      for (int i = 0; i < NODES; i++) ports[i] = freePort();
      // Started together (concurrent init); each says "Plank listening" once its slot exists.
      for (int i = 0; i < NODES; i++) nodes[i] = launch(db, dir, ports[i], i);
      for (PlankProcess node : nodes) node.awaitLine(l -> l.startsWith("Plank listening"), LONG);

      // The subscriber's node only delivers from the log (trigger mode without init installs no
      // trigger and runs no leader), so it is never the one killed.
      // (Stopped, not closed, at the end: closing drops the database under the running nodes.)
      delivery = TestPlank.start(db, Map.of("PLANK_CAPTURE", "trigger", "PLANK_INIT", "false"));
      try (WsClient ws = WsClient.connect(delivery.wsUrl())) {
        ws.subscribe("items");
        got = new Collector(ws);
        List<Future<Integer>> counts = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          int writer = w;
          counts.add(writers.submit(() -> write(db, writer, writing)));
        }

        // Kill whichever node leads once changes have flowed through it (so each kill shows a
        // takeover), as soon as another node stands by; restart the victim in the background.
        List<Integer> leaders = new ArrayList<>();
        List<CompletableFuture<Void>> restarts = new ArrayList<>();
        for (int k = 0; k < KILLS; k++) {
          int leader = awaitLeader(ports, i -> listening(nodes[i]));
          int before = got.size();
          got.awaitSize(before + 200, LONG);
          awaitStandby(nodes, leader);
          leaders.add(leader);
          System.out.printf("kill %d: node %d leads, %d changes so far%n", k, leader, got.size());
          restarts.add(kill(nodes, leader, db, dir, ports));
        }
        writing.set(false);
        int total = 0;
        for (Future<Integer> count : counts) total += count.get(60, TimeUnit.SECONDS);
        got.awaitSize(total, LONG);

        // Each writer's rows arrive once each in its commit order; seq strictly rises.
        List<JsonNode> inserts = got.take(total);
        int[] next = new int[WRITERS];
        long lastSeq = 0;
        for (JsonNode change : inserts) {
          assertThat(change.path("type").asText()).as(change.toString()).isEqualTo("INSERT");
          int writer = Integer.parseInt(change.path("data").path("name").asText().substring(1));
          assertThat(change.path("data").path("value").asInt())
              .as("writer %d's next row", writer)
              .isEqualTo(next[writer]++);
          assertThat(change.path("seq").asLong()).isGreaterThan(lastSeq);
          lastSeq = change.path("seq").asLong();
        }
        assertThat(total).isGreaterThan(1_000);
        for (int k = 1; k < KILLS; k++) {
          assertThat(leaders.get(k))
              .as("a standby took over after kill %d", k)
              .isNotEqualTo(leaders.get(k - 1));
        }
        // The change log itself holds each of them once, in each writer's commit order.
        TestDb log = new TestDb(db);
        assertThat(log.count("SELECT count(*) FROM plank.changes WHERE table_name = 'items'"))
            .isEqualTo(total);
        assertThat(
                log.count(
                    "SELECT count(*) FROM (SELECT (data->>'value')::int - lag((data->>'value')::int)"
                        + " OVER (PARTITION BY data->>'name' ORDER BY seq) AS step FROM"
                        + " plank.changes WHERE table_name = 'items') s WHERE step <> 1"))
            .as("log rows out of a writer's commit order")
            .isZero();
        for (CompletableFuture<Void> restart : restarts) restart.get(150, TimeUnit.SECONDS);

        // One large transaction, its leader killed while it appends the transaction in parts.
        CompletableFuture<Void> big =
            CompletableFuture.runAsync(
                () ->
                    log.execute(
                        "INSERT INTO items(name, value) SELECT 'big', g FROM generate_series(0, ?)"
                            + " g",
                        BIG - 1));
        int leader = awaitLeader(ports, i -> listening(nodes[i]));
        awaitStandby(nodes, leader);
        got.awaitSize(1, LONG);
        int atKill = got.size();
        nodes[leader].sigkill();
        big.get(60, TimeUnit.SECONDS);
        assertThat(atKill).as("changes delivered when the leader died").isLessThan(BIG);
        got.awaitSize(BIG, LONG);
        List<JsonNode> rows = got.take(BIG);
        for (int i = 0; i < BIG; i++) {
          JsonNode change = rows.get(i);
          assertThat(change.path("data").path("value").asInt()).as(change.toString()).isEqualTo(i);
          assertThat(change.path("seq").asLong()).isGreaterThan(lastSeq);
          lastSeq = change.path("seq").asLong();
        }
        assertThat(got.size()).as("nothing more after the large transaction").isZero();
        assertThat(awaitLeader(ports, i -> i != leader)).isNotEqualTo(leader);
      }
    } finally {
      writing.set(false);
      writers.shutdownNow();
      if (got != null) got.stop();
      if (delivery != null) delivery.stop();
      for (PlankProcess node : nodes) if (node != null) node.close();
      LogicalPostgres.drop(db);
      PlankProcess.deleteTree(dir);
    }
  }

  private static int write(DatabaseUrl db, int writer, AtomicBoolean writing) throws Exception {
    int n = 0;
    try (Connection c = TestDatabases.connect(db);
        Statement st = c.createStatement()) {
      while (writing.get()) {
        st.execute("INSERT INTO items(name, value) VALUES ('w" + writer + "', " + n + ")");
        n++;
        Thread.sleep(
            2); // pacing, not synchronisation: leave the small machine room to restart nodes
      }
    }
    return n;
  }

  /** SIGKILLs node i and starts it again on its port in the background. */
  private static CompletableFuture<Void> kill(
      PlankProcess[] nodes, int i, DatabaseUrl db, Path dir, int[] ports) {
    nodes[i].sigkill();
    nodes[i].awaitExit(LONG);
    nodes[i] = launch(db, dir, ports[i], i);
    PlankProcess restarted = nodes[i];
    return CompletableFuture.runAsync(
        () -> restarted.awaitLine(l -> l.startsWith("Plank listening"), RESTART));
  }

  private static boolean listening(PlankProcess node) {
    return node.isAlive() && node.lines().stream().anyMatch(l -> l.startsWith("Plank listening"));
  }

  /** Waits until a node other than the leader is up: it will take over when the leader dies. */
  private static void awaitStandby(PlankProcess[] nodes, int leader) throws InterruptedException {
    long deadline = System.nanoTime() + RESTART.toNanos();
    while (true) {
      for (int i = 0; i < nodes.length; i++) if (i != leader && listening(nodes[i])) return;
      if (System.nanoTime() > deadline) {
        StringBuilder said = new StringBuilder();
        for (PlankProcess node : nodes) said.append("\n--- a node said:\n").append(node.output());
        throw new AssertionError("no standby node within " + RESTART + said);
      }
      Thread.sleep(20);
    }
  }

  private static PlankProcess launch(DatabaseUrl db, Path dir, int port, int i) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", TestPlank.url(db));
    env.put("PLANK_PORT", Integer.toString(port));
    env.put("PLANK_NODE_ID", "wal" + i);
    env.put("PLANK_DEMO", "true");
    env.put("PLANK_CAPTURE", "wal");
    // Three JVMs beside the test's on a small machine: small heaps, quick start-up.
    env.put("JAVA_TOOL_OPTIONS", "-Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    return PlankProcess.startJar(PlankProcess.jar(), dir, env);
  }

  /** The index of the node whose /metrics says it leads, among those that qualify. */
  private static int awaitLeader(int[] ports, IntPredicate candidate) throws Exception {
    long deadline = System.nanoTime() + LONG.toNanos();
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < ports.length; i++) {
        if (!candidate.test(i)) continue;
        String body = metrics(ports[i]);
        if (body.lines().anyMatch(l -> l.startsWith("plank_wal_leader") && l.endsWith(" 1.0"))) {
          return i;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no node took the lead within " + LONG);
  }

  private static String metrics(int port) {
    try {
      return java.net.http.HttpClient.newHttpClient()
          .send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (java.io.IOException e) {
      return ""; // not up (yet, or any more)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Reads the subscriber's messages on a thread of its own, so the test can watch progress. */
  private static final class Collector {
    private final List<JsonNode> changes = new ArrayList<>(); // guarded by itself
    private final Thread thread;
    private volatile boolean stopped;

    Collector(WsClient ws) {
      thread =
          new Thread(
              () -> {
                while (!stopped) {
                  JsonNode message;
                  try {
                    message = ws.next(Duration.ofMillis(500));
                  } catch (AssertionError timeout) {
                    continue;
                  } catch (IllegalStateException interrupted) {
                    return;
                  }
                  synchronized (changes) {
                    changes.add(message);
                    changes.notifyAll();
                  }
                }
              },
              "subscriber");
      thread.setDaemon(true);
      thread.start();
    }

    int size() {
      synchronized (changes) {
        return changes.size();
      }
    }

    void awaitSize(int n, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (changes) {
        while (changes.size() < n) {
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          assertThat(left > 0)
              .as("%d changes within %s; got %d, the last %s", n, timeout, changes.size(), last())
              .isTrue();
          changes.wait(left);
        }
      }
    }

    private JsonNode last() {
      return changes.isEmpty() ? null : changes.get(changes.size() - 1);
    }

    /** Removes and answers the first n. */
    List<JsonNode> take(int n) {
      synchronized (changes) {
        List<JsonNode> first = new ArrayList<>(changes.subList(0, n));
        changes.subList(0, n).clear();
        return first;
      }
    }

    void stop() {
      stopped = true;
      thread.interrupt();
    }
  }
}
