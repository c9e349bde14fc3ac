package dev.plank.protocol.phoenix;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Phoenix wire protocol on {@code /realtime/v1/websocket} as raw frames: the shapes realtime-js
 * reads (its own tests, with the real client, are in {@code SupabaseClientIT}).
 */
class PhoenixEndpointTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(PhoenixEndpointTest.class);
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  private static WsClient connect(String vsn) {
    return WsClient.connect(
        plank.wsUrl().replace("/ws", "/realtime/v1/websocket") + "?apikey=any&vsn=" + vsn);
  }

  private static final String JOIN_ITEMS =
      "[\"1\",\"1\",\"realtime:room\",\"phx_join\",{\"config\":{"
          + "\"broadcast\":{\"ack\":true,\"self\":false},\"presence\":{\"key\":\"\",\"enabled\":true},"
          + "\"postgres_changes\":[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"items\"},"
          + "{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"items\",\"filter\":\"value=gt.10\"}],"
          + "\"private\":false}}]";

  @Test
  void heartbeatsAreAnsweredOnThePhoenixTopic() {
    try (WsClient ws = connect("2.0.0")) {
      ws.send("[null,\"7\",\"phoenix\",\"heartbeat\",{}]");
      assertThat(ws.next().toString())
          .isEqualTo("[null,\"7\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]");
    }
    try (WsClient ws = connect("1.0.0")) {
      ws.send("{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\"8\"}");
      JsonNode reply = ws.next();
      assertThat(reply.path("event").asText()).isEqualTo("phx_reply");
      assertThat(reply.path("ref").asText()).isEqualTo("8");
      assertThat(reply.path("payload").path("status").asText()).isEqualTo("ok");
    }
  }

  @Test
  void aJoinWithBroadcastAndPresenceGetsItsBindingsAndChanges() {
    try (WsClient ws = connect("2.0.0")) {
      ws.send(JOIN_ITEMS);
      JsonNode reply = ws.next();
      assertThat(reply.get(3).asText()).isEqualTo("phx_reply");
      assertThat(reply.get(0).asText()).isEqualTo("1");
      assertThat(reply.get(1).asText()).isEqualTo("1");
      JsonNode payload = reply.get(4);
      assertThat(payload.path("status").asText()).isEqualTo("ok");
      JsonNode bindings = payload.path("response").path("postgres_changes");
      assertThat(bindings).hasSize(2);
      assertThat(bindings.get(0).path("event").asText()).isEqualTo("*");
      assertThat(bindings.get(1).path("filter").asText()).isEqualTo("value=gt.10");
      int all = bindings.get(0).path("id").asInt();
      int big = bindings.get(1).path("id").asInt();
      assertThat(all).isNotEqualTo(big).isPositive();
      assertThat(big).isPositive();

      JsonNode system = ws.next();
      assertThat(system.get(3).asText()).isEqualTo("system");
      assertThat(system.get(4).path("extension").asText()).isEqualTo("postgres_changes");
      assertThat(system.get(4).path("status").asText()).isEqualTo("ok");
      assertThat(system.get(4).path("channel").asText()).isEqualTo("room");
      // Presence is enabled in the join: its state follows the answer, as Supabase sends it.
      JsonNode presence = ws.next();
      assertThat(presence.get(3).asText()).isEqualTo("presence_state");
      assertThat(presence.get(0).isNull()).isTrue();
      assertThat(presence.get(4).toString()).isEqualTo("{}");

      plank.db().execute("INSERT INTO items(name, value) VALUES ('phx', 42)");
      // One message per matching binding, each naming its id.
      JsonNode first = ws.next();
      JsonNode second = ws.next();
      assertThat(first.get(2).asText()).isEqualTo("realtime:room");
      assertThat(first.get(3).asText()).isEqualTo("postgres_changes");
      assertThat(
              java.util.List.of(
                  first.get(4).path("ids").get(0).asInt(),
                  second.get(4).path("ids").get(0).asInt()))
          .containsExactlyInAnyOrder(all, big);
      JsonNode data = first.get(4).path("data");
      assertThat(data.path("type").asText()).isEqualTo("INSERT");
      assertThat(data.path("schema").asText()).isEqualTo("public");
      assertThat(data.path("table").asText()).isEqualTo("items");
      assertThat(data.path("record").path("name").asText()).isEqualTo("phx");
      assertThat(data.path("record").path("value").asInt()).isEqualTo(42);
      assertThat(data.path("commit_timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
      assertThat(data.has("errors")).isTrue();
      assertThat(data.path("columns").toString())
          .contains("{\"name\":\"value\",\"type\":\"int4\"}");

      // Broadcast with ack (the join's config): answered once sent; the sender (no self) gets none.
      ws.send(
          "[\"1\",\"3\",\"realtime:room\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{}}]");
      JsonNode acked = ws.next();
      assertThat(acked.get(1).asText()).isEqualTo("3");
      assertThat(acked.get(4).path("status").asText()).isEqualTo("ok");
      // vsn 2.0.0 sends user broadcasts as binary frames; they are read and answered alike.
      ws.socket()
          .sendBinary(
              ByteBuffer.wrap(binaryBroadcast("1", "4", "realtime:room", "e", "{\"a\":1}")), true)
          .join();
      JsonNode binary = ws.next();
      assertThat(binary.get(1).asText()).isEqualTo("4");
      assertThat(binary.get(3).asText()).isEqualTo("phx_reply");
      assertThat(binary.get(4).path("status").asText()).isEqualTo("ok");

      ws.send("[\"1\",\"5\",\"realtime:room\",\"phx_leave\",{}]");
      JsonNode left = ws.next();
      assertThat(left.get(1).asText()).isEqualTo("5");
      assertThat(left.get(4).path("status").asText()).isEqualTo("ok");
      assertThat(ws.next().get(3).asText()).isEqualTo("phx_close");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('after-leave', 43)");
      ws.send("[null,\"9\",\"phoenix\",\"heartbeat\",{}]");
      // Changes go out in order: one after the leave would have come before this reply.
      assertThat(ws.next().get(1).asText()).isEqualTo("9");
    }
  }

  @Test
  void aBindingListedTwiceIsEchoedTwiceAndDeliveredOnce() {
    try (WsClient ws = connect("2.0.0")) {
      String binding = "{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"items\"}";
      ws.send(
          "[\"1\",\"1\",\"realtime:twice\",\"phx_join\",{\"config\":{\"postgres_changes\":["
              + binding
              + ","
              + binding
              + "]}}]");
      JsonNode bindings = ws.next().get(4).path("response").path("postgres_changes");
      assertThat(bindings).hasSize(2);
      assertThat(bindings.get(0).path("id")).isEqualTo(bindings.get(1).path("id"));
      assertThat(ws.next().get(3).asText()).isEqualTo("system");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('twice', 1)");
      assertThat(ws.next().get(4).path("data").path("record").path("name").asText())
          .isEqualTo("twice");
      ws.send("[null,\"2\",\"phoenix\",\"heartbeat\",{}]");
      // A second copy of the change would have come before this reply.
      assertThat(ws.next().get(1).asText()).isEqualTo("2");
    }
  }

  @Test
  void unknownTablesAndBadFiltersAreRefusedAsSupabaseDoes() {
    try (WsClient ws = connect("2.0.0")) {
      ws.send(
          "[\"1\",\"1\",\"realtime:x\",\"phx_join\",{\"config\":{\"postgres_changes\":"
              + "[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"nope\"}]}}]");
      JsonNode reply = ws.next().get(4);
      assertThat(reply.path("status").asText()).isEqualTo("error");
      assertThat(reply.path("response").path("reason").asText())
          .startsWith("RealtimeDisabledForConfiguration: unknown channel 'nope'");
      ws.send(
          "[\"2\",\"2\",\"realtime:y\",\"phx_join\",{\"config\":{\"postgres_changes\":"
              + "[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"items\",\"filter\":\"nocolumn=eq.1\"}]}}]");
      reply = ws.next().get(4);
      assertThat(reply.path("status").asText()).isEqualTo("error");
      assertThat(reply.path("response").path("reason").asText())
          .startsWith("RealtimeDisabledForConfiguration: ");
      ws.send("[null,\"3\",\"realtime:never-joined\",\"broadcast\",{}]");
      reply = ws.next().get(4);
      assertThat(reply.path("response").path("reason").asText()).isEqualTo("unmatched topic");
    }
  }

  @Test
  void changesMadeWhileTheListenerIsDownArriveAfterIt() throws Exception {
    try (WsClient ws = connect("1.0.0")) {
      ws.send(
          "{\"topic\":\"realtime:gap\",\"event\":\"phx_join\",\"ref\":\"1\",\"join_ref\":\"1\","
              + "\"payload\":{\"config\":{\"postgres_changes\":[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"items\"}]}}}");
      assertThat(ws.next().path("payload").path("status").asText()).isEqualTo("ok");
      assertThat(ws.next().path("event").asText()).isEqualTo("system");
      assertThat(terminateListener()).isEqualTo(1);
      plank.db().execute("INSERT INTO items(name, value) VALUES ('during-outage', 7)");
      JsonNode change = ws.next(Duration.ofSeconds(15));
      assertThat(change.path("event").asText()).isEqualTo("postgres_changes");
      assertThat(change.path("payload").path("data").path("record").path("name").asText())
          .isEqualTo("during-outage");
    }
  }

  @Test
  void theJoinIsAnsweredOnlyOnceChangesFlow() throws Exception {
    TestDb maintenance = new TestDb(plank.db().url().withDatabase("postgres"));
    String db = plank.db().url().database();
    try (WsClient ws = connect("2.0.0")) {
      maintenance.execute("ALTER DATABASE " + db + " ALLOW_CONNECTIONS false");
      try {
        terminateListener();
        awaitReady(503);
        ws.send(
            "[\"1\",\"1\",\"realtime:wait\",\"phx_join\",{\"config\":{\"postgres_changes\":"
                + "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"items\"}]}}]");
        ws.send("[null,\"2\",\"phoenix\",\"heartbeat\",{}]");
        // The join was handled before the heartbeat: an answer given then would have come first.
        assertThat(ws.next().get(1).asText()).isEqualTo("2");
      } finally {
        maintenance.execute("ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
      }
      JsonNode reply = ws.next(Duration.ofSeconds(15));
      assertThat(reply.get(1).asText()).isEqualTo("1");
      assertThat(reply.get(4).path("status").asText()).isEqualTo("ok");
      assertThat(ws.next().get(3).asText()).isEqualTo("system");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('right-after-join', 1)");
      assertThat(ws.next().get(4).path("data").path("record").path("name").asText())
          .isEqualTo("right-after-join");
    }
  }

  private static long terminateListener() {
    return new TestDb(plank.db().url().withDatabase("postgres"))
        .count(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE datname = ? AND application_name = 'plank-listener'",
            plank.db().url().database());
  }

  private static void awaitReady(int status) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      int now =
          http.send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(plank.httpUrl() + "/ready"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.discarding())
              .statusCode();
      if (now == status) return;
      Thread.sleep(50);
    }
    throw new AssertionError("/ready did not answer " + status + " within 10 s");
  }

  /** realtime-js's userBroadcastPush frame (kind 3), JSON-encoded payload. */
  private static byte[] binaryBroadcast(
      String joinRef, String ref, String topic, String event, String json) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[][] parts = {
      joinRef.getBytes(StandardCharsets.UTF_8),
      ref.getBytes(StandardCharsets.UTF_8),
      topic.getBytes(StandardCharsets.UTF_8),
      event.getBytes(StandardCharsets.UTF_8),
      new byte[0]
    };
    out.write(3);
    for (byte[] part : parts) out.write(part.length);
    out.write(1); // JSON encoding
    for (byte[] part : parts) out.writeBytes(part);
    out.writeBytes(json.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }
}
