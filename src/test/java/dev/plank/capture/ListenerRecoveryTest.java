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

  private long reconnects() throws Exception {
    String metrics =
        http.send(
                HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return metrics
        .lines()
        .filter(l -> l.startsWith("plank_listener_reconnects_total"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow();
  }
}
