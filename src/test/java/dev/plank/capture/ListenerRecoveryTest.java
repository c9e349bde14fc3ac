package dev.plank.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * When the LISTEN connection is killed, Plank reconnects, says so on /ready, and delivers again.
 */
class ListenerRecoveryTest {
  static TestPlank plank;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    plank = TestPlank.start(ListenerRecoveryTest.class);
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void terminatedListenerRecoversAndDeliversLaterChanges() throws Exception {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      assertThat(ready()).isEqualTo(200);
      long before = reconnects();

      for (int round = 0; round < 3; round++) {
        long killed = terminateListener();
        assertThat(killed).as("listener backends terminated").isEqualTo(1);
        awaitReconnects(before + round + 1);
        plank.db().execute("INSERT INTO items(name, value) VALUES ('after', ?)", round);
        assertThat(ws.next(Duration.ofSeconds(10)).path("data").path("value").asInt())
            .isEqualTo(round);
      }
      assertThat(ready()).isEqualTo(200);
      assertThat(reconnects() - before).isEqualTo(3);
    }
  }

  @Test
  void readyReportsTheListenerOutage() throws Exception {
    // Block reconnection by making the database refuse new connections for a moment.
    String db = plank.db().url().database();
    new TestDb(plank.db().url().withDatabase("postgres"))
        .execute("ALTER DATABASE " + db + " ALLOW_CONNECTIONS false");
    try {
      terminateListener();
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      int status = ready();
      while (status != 503 && System.nanoTime() < deadline) {
        Thread.sleep(50);
        status = ready();
      }
      assertThat(status).isEqualTo(503);
    } finally {
      new TestDb(plank.db().url().withDatabase("postgres"))
          .execute("ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (ready() != 200 && System.nanoTime() < deadline) Thread.sleep(50);
    assertThat(ready()).isEqualTo(200);
  }

  /**
   * Changes committed while the listener is down are replayed from the log after it reconnects,
   * before new live ones: every subscriber sees every row once, in commit order.
   */
  @Test
  void changesCommittedDuringOutagesAreReplayedExactlyOnceInOrder() throws Exception {
    int rows = 300;
    List<WsClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 5; i++) {
        WsClient client = WsClient.connect(plank.wsUrl());
        client.subscribe("items", "\"filter\":\"name=eq.gap\"");
        clients.add(client);
      }
      long before = reconnects();
      AtomicBoolean writing = new AtomicBoolean(true);
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                try {
                  // Mostly one row per transaction; every tenth writes three in one.
                  for (int i = 0; i < rows; ) {
                    int n = i % 10 == 0 && i + 3 <= rows ? 3 : 1;
                    plank
                        .db()
                        .execute(
                            "INSERT INTO items(name, value)"
                                + " SELECT 'gap', g FROM generate_series(?::int, ?::int) g",
                            i,
                            i + n - 1);
                    i += n;
                    Thread.sleep(3);
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  writing.set(false);
                }
              });
      int outages = 0;
      while (writing.get()) {
        Thread.sleep(150); // pacing: outages land at different points of the writes
        // Terminate a listener that is back: one killed while it reconnects is one outage that
        // ends in one reconnect, and the count below would wait for a reconnect that never comes.
        awaitReconnects(before + outages);
        outages += (int) terminateListener();
      }
      writer.join();
      assertThat(outages).as("listener terminations").isGreaterThanOrEqualTo(3);
      plank.db().execute("INSERT INTO items(name, value) VALUES ('gap', ?)", rows); // the marker
      for (WsClient client : clients) {
        List<Integer> values = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
          values.add(client.next(Duration.ofSeconds(15)).path("data").path("value").asInt());
        }
        assertThat(values).as("every row once, in commit order").isEqualTo(range(rows));
        assertThat(client.before(WsClient.rowWith("value", rows), Duration.ofSeconds(15)))
            .isEmpty();
      }
      awaitReconnects(before + outages);
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  private static List<Integer> range(int n) {
    List<Integer> values = new ArrayList<>();
    for (int i = 0; i < n; i++) values.add(i);
    return values;
  }

  /** Runs from the maintenance database, which accepts connections even when ours does not. */
  private long terminateListener() {
    return new TestDb(plank.db().url().withDatabase("postgres"))
        .count(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE datname = ? AND application_name = 'plank-listener'",
            plank.db().url().database());
  }

  /** The reconnect counter moves only once the new LISTEN is in place. */
  private void awaitReconnects(long expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < deadline) {
      if (reconnects() >= expected) return;
      Thread.sleep(20);
    }
    throw new AssertionError("the listener did not come back within 15 s");
  }

  private int ready() throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/ready")).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private long reconnects() {
    return (long) plank.metric("plank_listener_reconnects_total");
  }
}
