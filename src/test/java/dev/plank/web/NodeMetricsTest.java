package dev.plank.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.TestPlank;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.DoublePredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The node's id labels every metric; the listener's lag behind the log is measured. */
class NodeMetricsTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank =
        TestPlank.start(
            NodeMetricsTest.class,
            Map.of("PLANK_NODE_ID", "node-a.1", "PLANK_LAG_INTERVAL", "100ms"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void everyMetricCarriesTheNodeLabel() throws Exception {
    String body =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    var samples = body.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    assertThat(samples).isNotEmpty();
    assertThat(samples).allMatch(l -> l.contains("node=\"node-a.1\""), "labelled node-a.1");
    assertThat(samples).anyMatch(l -> l.startsWith("plank_connections{"));
  }

  @Test
  void theListenersLagIsWhatItHasNotSeenOfTheLog() {
    awaitMetric("plank_listener_lag_changes", v -> v == 0);
    awaitMetric("plank_listener_lag_seconds", v -> v == 0);
    // A change committed to the log without a notification: the listener never sees it.
    plank
        .db()
        .execute(
            "INSERT INTO plank.changes (xid, snapshot_xmin, ts, schema_name, table_name, op, data)"
                + " VALUES (pg_current_xact_id(), pg_current_xact_id(), now() - interval '3"
                + " seconds', 'public', 'items', 'INSERT', '{}')");
    awaitMetric("plank_listener_lag_changes", v -> v == 1);
    awaitMetric("plank_listener_lag_seconds", v -> v >= 3);
    // A notified change after it: the listener has seen the log's newest change again.
    plank.db().execute("INSERT INTO items (name, value) VALUES ('lag', 1)");
    awaitMetric("plank_listener_lag_changes", v -> v == 0);
    awaitMetric("plank_listener_lag_seconds", v -> v == 0);
  }

  private static void awaitMetric(String name, DoublePredicate expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    double value = plank.metric(name);
    while (!expected.test(value) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      value = plank.metric(name);
    }
    assertThat(expected.test(value)).as("%s on /metrics is %s", name, value).isTrue();
  }
}
