package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * While the listener is down, subscribes wait: checked first, at most PLANK_MAX_SUBSCRIPTIONS per
 * connection, and forgotten when their connection closes.
 */
class ParkedRequestsTest {
  static TestPlank plank;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    plank = TestPlank.start(ParkedRequestsTest.class, Map.of("PLANK_MAX_SUBSCRIPTIONS", "3"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void parkedRequestsAreValidatedBoundedAndDroppedWithTheirConnection() throws Exception {
    String db = plank.db().url().database();
    TestDb admin = new TestDb(plank.db().url().withDatabase("postgres"));
    admin.execute("ALTER DATABASE " + db + " ALLOW_CONNECTIONS false");
    try (WsClient a = WsClient.connect(plank.wsUrl())) {
      try {
        admin.count(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE datname = ? AND application_name = 'plank-listener'",
            db);
        awaitReady(503);
        // Checked before it waits: a bad filter is refused now, not when the database is back.
        a.send(
            "{\"action\":\"subscribe\",\"channel\":\"items\",\"id\":\"bad\",\"filter\":\"x=eq.1\"}");
        JsonNode bad = a.next();
        assertThat(bad.path("code").asText()).isEqualTo("bad_filter");
        for (int i = 1; i <= 4; i++) {
          a.send("{\"action\":\"subscribe\",\"channel\":\"items\",\"id\":" + i + "}");
        }
        JsonNode busy = a.next();
        assertThat(busy.path("type").asText()).isEqualTo("error");
        assertThat(busy.path("code").asText()).isEqualTo("busy");
        assertThat(busy.path("id").asInt()).isEqualTo(4);
        plank.awaitMetric("plank_parked_requests", 3);
        assertThat(plank.metric("plank_limit_hits_total{limit=\"parked\"}")).isEqualTo(1);

        try (WsClient b = WsClient.connect(plank.wsUrl())) {
          for (int i = 1; i <= 3; i++) {
            b.send("{\"action\":\"subscribe\",\"channel\":\"items\",\"id\":" + i + "}");
          }
          plank.awaitMetric("plank_parked_requests", 6);
        }
        // B left: its requests are gone, A's still wait.
        plank.awaitMetric("plank_parked_requests", 3);
      } finally {
        admin.execute("ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
      }
      Set<Integer> ids = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        JsonNode reply = a.next(Duration.ofSeconds(15));
        assertThat(reply.path("type").asText()).isEqualTo("subscribed");
        ids.add(reply.path("id").asInt());
      }
      assertThat(ids).containsExactlyInAnyOrder(1, 2, 3);
      plank.awaitMetric("plank_parked_requests", 0);
    }
  }

  private static void awaitReady(int expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    int status = ready();
    while (status != expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
      status = ready();
    }
    assertThat(status).isEqualTo(expected);
  }

  private static int ready() throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/ready")).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
