package dev.plank.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three real nodes ({@code java -jar target/plank.jar}) on one fresh database each test: started at
 * once on an empty database (concurrent {@code init}), clients spread over them, a node killed with
 * SIGKILL or drained with SIGTERM mid-stream while plank-client.js clients (run by Node) follow
 * every node's URL, and the prune lock. Run by {@code mvn -B verify -Pcluster}.
 */
class ClusterIT {
  private static final int ROWS = 300;
  private static final int JS_CLIENTS = 4;
  private static final Duration LONG = Duration.ofSeconds(60);

  @Test
  @Timeout(240)
  void everyClientGetsEveryChangeOnceInOrderAcrossNodesAResumeAndASigkill() throws Exception {
    try (Cluster cluster = Cluster.start(Map.of());
        PlankProcess js = follow(cluster)) {
      // Two plain clients on each node.
      List<WsClient> clients = new ArrayList<>();
      for (int node = 0; node < 3; node++) {
        for (int k = 0; k < 2; k++) {
          WsClient ws = WsClient.connect(cluster.wsUrl(node));
          ws.subscribe("items");
          clients.add(ws);
        }
      }
      int victim = cluster.nodeOf(js.awaitLine(l -> l.startsWith("c0 open "), LONG));
      CompletableFuture<Void> writes = cluster.writeRows(ROWS);

      // SIGKILL mid-stream: the node of JS client 0.
      awaitValue(js, "c0", ROWS / 3);
      cluster.node(victim).sigkill();
      writes.get();

      List<JsonNode> survivor = null;
      for (int i = 0; i < clients.size(); i++) {
        if (i / 2 == victim) continue; // cut off with their node; the JS clients show recovery
        List<JsonNode> got = clients.get(i).next(ROWS);
        assertThat(values(got)).as("client %d", i).isEqualTo(oneTo(ROWS));
        survivor = got;
      }
      assertEveryJsClientGotEverything(js);
      assertThat(js.lines())
          .as("no resync: every gap was replayed")
          .noneMatch(l -> l.contains(" resync "));

      // A client that had the first half on one node resumes on another with its cursor.
      int b = (victim + 2) % 3;
      String cursor = survivor.get(ROWS / 2 - 1).path("cursor").asText();
      try (WsClient resumed = WsClient.connect(cluster.wsUrl(b))) {
        resumed.subscribe("items", "\"since\":\"" + cursor + "\"");
        List<Integer> rest = new ArrayList<>();
        long lastSeq = Long.parseLong(cursor.substring(0, cursor.indexOf('.')));
        while (rest.size() < ROWS - ROWS / 2) {
          JsonNode change = resumed.next();
          if (change.path("seq").asLong() <= lastSeq) continue; // a replay may repeat; by seq
          lastSeq = change.path("seq").asLong();
          rest.add(change.path("data").path("value").asInt());
        }
        assertThat(rest).isEqualTo(IntStream.rangeClosed(ROWS / 2 + 1, ROWS).boxed().toList());
      }
      clients.forEach(WsClient::close);
    }
  }

  @Test
  @Timeout(240)
  void aDrainedNodesClientsReconnectElsewhereAndMissNothing() throws Exception {
    try (Cluster cluster = Cluster.start(Map.of("PLANK_DRAIN_TIMEOUT", "5s"));
        PlankProcess js = follow(cluster)) {
      int victim = cluster.nodeOf(js.awaitLine(l -> l.startsWith("c0 open "), LONG));
      CompletableFuture<Void> writes = cluster.writeRows(ROWS);
      awaitValue(js, "c0", ROWS / 3);
      cluster.node(victim).sigterm();
      assertThat(cluster.node(victim).awaitExit(Duration.ofSeconds(20))).isZero();
      writes.get();
      assertEveryJsClientGotEverything(js);
      assertThat(js.lines()).contains("c0 closed 1012");
      assertThat(js.lines()).noneMatch(l -> l.contains(" resync "));
    }
  }

  @Test
  @Timeout(240)
  void oneNodeAtATimePrunesUnderTheAdvisoryLock() throws Exception {
    try (Cluster cluster =
            Cluster.start(Map.of("PLANK_PRUNE_INTERVAL", "100ms", "PLANK_LOG_MAX_ROWS", "10"));
        Connection holder = cluster.db.connection()) {
      // Another holder of the prune lock (the key in ChangeLog): no node may prune meanwhile.
      holder.createStatement().execute("SELECT pg_advisory_lock(" + 0x706c616e6b70726eL + ")");
      cluster.writeRows(50).get();
      long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos(); // 20 prune intervals
      while (System.nanoTime() < deadline) {
        assertThat(cluster.db.count("SELECT count(*) FROM plank.changes")).isEqualTo(50);
        Thread.sleep(50);
      }
      holder.createStatement().execute("SELECT pg_advisory_unlock_all()");
      deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (cluster.db.count("SELECT count(*) FROM plank.changes") > 10
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(cluster.db.count("SELECT count(*) FROM plank.changes")).isEqualTo(10);
      // Counted once: the nodes' pruned counters add up to what was deleted.
      double pruned = 0;
      for (int i = 0; i < 3; i++) pruned += cluster.metric(i, "plank_changes_pruned_total");
      assertThat(pruned).isEqualTo(40);
    }
  }

  // --- helpers ----------------------------------------------------------------------------

  private static PlankProcess follow(Cluster cluster) throws IOException {
    Path script = Files.createTempFile("plank-follow", ".mjs");
    try (var in = ClusterIT.class.getResourceAsStream("follow.mjs")) {
      Files.write(script, in.readAllBytes());
    }
    List<String> command = new ArrayList<>();
    command.addAll(List.of("node", "--experimental-websocket", "--no-warnings", script.toString()));
    command.add(basedir().resolve("clients/js/plank-client.js").toString());
    command.add(Integer.toString(JS_CLIENTS));
    for (int i = 0; i < 3; i++) command.add(cluster.wsUrl(i));
    PlankProcess js = PlankProcess.start(command, basedir(), Map.of());
    for (int i = 0; i < JS_CLIENTS; i++) {
      String client = "c" + i;
      js.awaitLine(l -> l.equals(client + " ready"), LONG);
    }
    return js;
  }

  private static void awaitValue(PlankProcess js, String client, int value) {
    js.awaitLine(l -> l.startsWith(client + " change ") && l.endsWith(" " + value), LONG);
  }

  private static void assertEveryJsClientGotEverything(PlankProcess js) {
    for (int i = 0; i < JS_CLIENTS; i++) {
      String prefix = "c" + i + " change ";
      js.awaitLine(l -> l.startsWith(prefix) && l.endsWith(" " + ROWS), LONG);
      List<Integer> got =
          js.lines().stream()
              .filter(l -> l.startsWith(prefix))
              .map(l -> Integer.parseInt(l.substring(l.lastIndexOf(' ') + 1)))
              .toList();
      assertThat(got).as("JS client c%d, exactly once, in commit order", i).isEqualTo(oneTo(ROWS));
    }
  }

  private static List<Integer> values(List<JsonNode> changes) {
    return changes.stream().map(c -> c.path("data").path("value").asInt()).toList();
  }

  private static List<Integer> oneTo(int n) {
    return IntStream.rangeClosed(1, n).boxed().toList();
  }

  private static Path basedir() {
    return Path.of(System.getProperty("plank.basedir", ".")).toAbsolutePath().normalize();
  }

  /** Three nodes on a fresh, empty database, started at once. */
  private static final class Cluster implements AutoCloseable {
    final DatabaseUrl database;
    final TestDb db;
    final int[] ports = new int[3];
    final List<PlankProcess> nodes = new ArrayList<>();
    final Path dir = PlankProcess.tempDir("plank-cluster");

    private Cluster(DatabaseUrl database) {
      this.database = database;
      this.db = new TestDb(database);
    }

    static Cluster start(Map<String, String> settings) {
      Cluster cluster = new Cluster(TestDatabases.create(ClusterIT.class));
      try {
        for (int i = 0; i < 3; i++) {
          cluster.ports[i] = freePort();
          Map<String, String> env = new HashMap<>(settings);
          env.put("DATABASE_URL", TestPlank.url(cluster.database));
          env.put("PLANK_PORT", Integer.toString(cluster.ports[i]));
          env.put("PLANK_NODE_ID", "node" + i);
          env.put("PLANK_DEMO", "true"); // each node's init creates items: three at once
          cluster.nodes.add(PlankProcess.startJar(PlankProcess.jar(), cluster.dir, env));
        }
        for (PlankProcess node : cluster.nodes) {
          node.awaitLine(l -> l.startsWith("Plank listening"), LONG);
        }
        return cluster;
      } catch (RuntimeException | Error e) {
        cluster.close();
        throw e;
      }
    }

    PlankProcess node(int i) {
      return nodes.get(i);
    }

    String wsUrl(int i) {
      return "ws://127.0.0.1:" + ports[i] + "/ws";
    }

    int nodeOf(String openLine) {
      for (int i = 0; i < 3; i++) if (openLine.endsWith(wsUrl(i))) return i;
      throw new AssertionError("no node for " + openLine);
    }

    /** Inserts items with value 1..n, one transaction each, from one writer: commit order. */
    CompletableFuture<Void> writeRows(int n) {
      return CompletableFuture.runAsync(
          () -> {
            try (Connection conn = db.connection();
                PreparedStatement insert =
                    conn.prepareStatement("INSERT INTO items (name, value) VALUES (?, ?)")) {
              for (int v = 1; v <= n; v++) {
                insert.setString(1, "row " + v);
                insert.setInt(2, v);
                insert.execute();
                if (v % 10 == 0) Thread.sleep(10); // a stream over a second or so, not a burst
              }
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
    }

    double metric(int node, String name) throws Exception {
      String body =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create("http://127.0.0.1:" + ports[node] + "/metrics"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      return body.lines()
          .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
          .sum();
    }

    @Override
    public void close() {
      nodes.forEach(PlankProcess::close);
      PlankProcess.deleteTree(dir);
      TestDatabases.drop(database);
    }

    private static int freePort() {
      try (ServerSocket socket = new ServerSocket(0)) {
        return socket.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
