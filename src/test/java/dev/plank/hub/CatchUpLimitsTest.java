package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.RawWsClient;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Snapshots and replays share a few read slots: a client that does not read loses its slot at the
 * drain deadline, the queue for slots is bounded ({@code busy}), a replaced subscription leaves the
 * queue, and a query past PLANK_QUERY_TIMEOUT ends in {@code query_timeout}.
 */
class CatchUpLimitsTest {
  /** A node with one read slot (pool of 2) and a table {@code big} of about 20 MB. */
  private static TestPlank start(Map<String, String> settings) {
    DatabaseUrl url = TestDatabases.create(CatchUpLimitsTest.class);
    new TestDb(url)
        .execute(
            "CREATE TABLE big (id int PRIMARY KEY, pad text);"
                + " INSERT INTO big SELECT g, repeat('x', 1000) FROM generate_series(1, 20000) g");
    Map<String, String> all = new HashMap<>(settings);
    all.put("PLANK_TABLES", "items,big");
    all.putIfAbsent("PLANK_POOL_SIZE", "2");
    all.put("PLANK_MAX_QUEUE_BYTES", "16384");
    return TestPlank.start(url, all);
  }

  /** A client that asks for the whole of {@code big} and never reads: it holds the read slot. */
  private static RawWsClient holdTheSlot(TestPlank plank) throws Exception {
    RawWsClient stalled = RawWsClient.connect(plank.port(), 4096);
    stalled.sendText("{\"action\":\"subscribe\",\"channel\":\"big\",\"snapshot\":true}");
    plank.awaitMetric("plank_subscriptions", 1);
    return stalled;
  }

  @Test
  void aClientThatDoesNotReadLosesItsSnapshotSlotAtTheDrainDeadline() throws Exception {
    try (TestPlank plank = start(Map.of("PLANK_STALL_TIMEOUT", "1s"));
        RawWsClient stalled = holdTheSlot(plank);
        WsClient reader = WsClient.connect(plank.wsUrl())) {
      long start = System.nanoTime();
      reader.subscribe("big", "\"snapshot\":true,\"filter\":\"id=lte.3\",\"id\":\"b\"");
      JsonNode page = reader.next(Duration.ofSeconds(8));
      assertThat(page.path("type").asText()).isEqualTo("snapshot");
      assertThat(page.path("rows")).hasSize(3);
      assertThat(page.path("last").asBoolean()).isTrue();
      // Well before the 30 s a stalled reader held a slot for.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
      plank.awaitMetric("plank_limit_hits_total{limit=\"stall_timeout\"}", 1);
      assertThat(stalled.serverClosed(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void oneAddressHoldsAtMostHalfOfTheReadSlots() throws Exception {
    // Two slots (pool of 4); the reader comes through a trusted proxy from another address.
    try (TestPlank plank =
            start(
                Map.of(
                    "PLANK_POOL_SIZE", "4",
                    "PLANK_STALL_TIMEOUT", "60s",
                    "PLANK_TRUSTED_PROXIES", "127.0.0.1"));
        RawWsClient first = RawWsClient.connect(plank.port(), 4096);
        RawWsClient second = RawWsClient.connect(plank.port(), 4096);
        WsClient reader = WsClient.connect(plank.wsUrl(), Map.of("X-Forwarded-For", "10.9.9.9"))) {
      first.sendText("{\"action\":\"subscribe\",\"channel\":\"big\",\"snapshot\":true}");
      second.sendText("{\"action\":\"subscribe\",\"channel\":\"big\",\"snapshot\":true}");
      plank.awaitMetric("plank_subscriptions", 2);
      reader.subscribe("big", "\"snapshot\":true,\"filter\":\"id=lte.3\",\"id\":\"b\"");
      JsonNode page = reader.next(Duration.ofSeconds(8));
      assertThat(page.path("type").asText()).isEqualTo("snapshot");
      assertThat(page.path("last").asBoolean()).isTrue();
    }
  }

  @Test
  void theQueueForReadSlotsIsBoundedAndAReplacedSubscriptionLeavesIt() throws Exception {
    try (TestPlank plank =
            start(Map.of("PLANK_STALL_TIMEOUT", "60s", "PLANK_MAX_CATCHUPS_WAITING", "1"));
        WsClient queued = WsClient.connect(plank.wsUrl());
        WsClient refused = WsClient.connect(plank.wsUrl())) {
      RawWsClient stalled = holdTheSlot(plank);
      try {
        queued.subscribe("items", "\"snapshot\":true,\"id\":\"first\"");
        refused.send(
            "{\"action\":\"subscribe\",\"channel\":\"items\",\"snapshot\":true,\"id\":\"c\"}");
        JsonNode busy = refused.next();
        assertThat(busy.path("type").asText()).isEqualTo("error");
        assertThat(busy.path("code").asText()).isEqualTo("busy");
        assertThat(busy.path("id").asText()).isEqualTo("c");
        assertThat(plank.metric("plank_limit_hits_total{limit=\"catch_up_queue\"}")).isEqualTo(1);
        // Subscribing again replaces the queued one: it takes its place, not a second one.
        queued.subscribe("items", "\"snapshot\":true,\"id\":\"second\"");
      } finally {
        stalled.close(); // its slot frees once the server sees it gone
      }
      JsonNode page = queued.next(Duration.ofSeconds(10));
      assertThat(page.path("type").asText()).isEqualTo("snapshot");
      assertThat(page.path("id").asText()).isEqualTo("second");
      assertThat(page.path("last").asBoolean()).isTrue();
    }
  }

  @Test
  void aSnapshotPastTheQueryTimeoutGetsAClearError() throws Exception {
    try (TestPlank plank = start(Map.of("PLANK_QUERY_TIMEOUT", "500ms"));
        WsClient client = WsClient.connect(plank.wsUrl());
        Connection locker = TestDatabases.connect(plank.db().url())) {
      locker.setAutoCommit(false);
      try (Statement lock = locker.createStatement()) {
        // The snapshot's query waits for this lock until its statement_timeout.
        lock.execute("LOCK TABLE big IN ACCESS EXCLUSIVE MODE");
        client.subscribe("big", "\"snapshot\":true,\"id\":7");
        JsonNode error = client.next(Duration.ofSeconds(10));
        assertThat(error.path("type").asText()).isEqualTo("error");
        assertThat(error.path("code").asText()).isEqualTo("query_timeout");
        assertThat(error.path("id").asInt()).isEqualTo(7);
        assertThat(error.path("message").asText())
            .contains("snapshot of big took longer than the server allows");
      } finally {
        locker.rollback();
      }
      plank.awaitMetric("plank_subscriptions", 0);
      assertThat(plank.metric("plank_limit_hits_total{limit=\"query_timeout\"}")).isEqualTo(1);
    }
  }
}
