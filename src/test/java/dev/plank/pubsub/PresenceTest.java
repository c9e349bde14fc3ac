package dev.plank.pubsub;

import static dev.plank.pubsub.Topics.join;
import static dev.plank.pubsub.Topics.track;
import static dev.plank.pubsub.Topics.type;
import static dev.plank.pubsub.Topics.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Presence between real clients on two nodes of one database, and a node's death. */
class PresenceTest {
  static final Map<String, String> FAST_EXPIRY = Map.of("PLANK_PRESENCE_EXPIRY", "2s");

  @Test
  void presenceSyncsAcrossNodesAndLeavesOnDisconnectAndOnANodesStop() {
    try (TestPlank one = TestPlank.start(PresenceTest.class, FAST_EXPIRY);
        WsClient a = WsClient.connect(one.wsUrl())) {
      assertThat(join(a, "lobby").path("state").size()).isZero();
      JsonNode tracked = track(a, "lobby", "alice", "{\"status\":\"online\"}");
      assertThat(tracked.path("type").asText()).isEqualTo("tracked");
      assertThat(tracked.path("key").asText()).isEqualTo("alice");

      // A node started afterwards learns the state from the table.
      TestPlank two = TestPlank.start(one.db().url(), FAST_EXPIRY);
      try (WsClient b = WsClient.connect(two.wsUrl())) {
        JsonNode state = join(b, "lobby").path("state");
        assertThat(state.path("alice").get(0).path("status").asText()).isEqualTo("online");
        assertThat(state.path("alice").get(0).path("presence_ref").asText()).isNotEmpty();

        // B tracks on node two: A on node one gets the join.
        track(b, "lobby", "bob", "{\"status\":\"away\"}");
        JsonNode diff = until(a, type("presence_diff"));
        assertThat(diff.path("joins").path("bob").get(0).path("status").asText()).isEqualTo("away");
        assertThat(diff.path("leaves").size()).isZero();

        // A updates its state: B sees the old entry leave and the new one join.
        track(a, "lobby", "alice", "{\"status\":\"busy\"}");
        JsonNode update = until(b, type("presence_diff"));
        assertThat(update.path("joins").path("alice").get(0).path("status").asText())
            .isEqualTo("busy");
        assertThat(update.path("leaves").path("alice").get(0).path("status").asText())
            .isEqualTo("online");
      }
      // B's connection closed: A gets its leave.
      JsonNode left = until(a, m -> type("presence_diff").test(m) && m.path("leaves").has("bob"));
      assertThat(left.path("joins").size()).isZero();

      // A client on node two tracks, then the node stops: its members leave A's view.
      WsClient c = WsClient.connect(two.wsUrl());
      join(c, "lobby");
      track(c, "lobby", "carol", "{}");
      until(a, m -> type("presence_diff").test(m) && m.path("joins").has("carol"));
      two.stop();
      until(a, m -> type("presence_diff").test(m) && m.path("leaves").has("carol"));
      c.close();
    }
  }

  @Test
  void aNodeThatDiesWithoutAWordIsDroppedAfterTheExpiry() {
    try (TestPlank one = TestPlank.start(PresenceTest.class, FAST_EXPIRY);
        WsClient a = WsClient.connect(one.wsUrl())) {
      join(a, "lobby");
      // A node that wrote its heartbeat and a presence entry, then died (no "gone" message, no
      // further heartbeats): what a killed process leaves behind.
      one.db()
          .execute(
              "WITH n AS (INSERT INTO plank.pubsub_nodes VALUES ('ghost', now())),"
                  + " p AS (INSERT INTO plank.presence VALUES"
                  + " ('ghost', 'ghost.1', 'lobby', 'casper', '{\"boo\":true}'))"
                  + " SELECT pg_notify('plank_pubsub', ?)",
              "{\"n\":\"ghost\",\"k\":\"t\",\"t\":\"lobby\",\"r\":\"ghost.1\",\"key\":\"casper\","
                  + "\"s\":{\"boo\":true}}");
      JsonNode join = until(a, type("presence_diff"));
      assertThat(join.path("joins").has("casper")).isTrue();
      long started = System.nanoTime();
      JsonNode leave = a.next(Duration.ofSeconds(10));
      assertThat(leave.path("type").asText()).isEqualTo("presence_diff");
      assertThat(leave.path("leaves").has("casper")).isTrue();
      // Bounded: the expiry (2 s) plus a heartbeat interval, with room for a loaded machine.
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
    }
  }
}
