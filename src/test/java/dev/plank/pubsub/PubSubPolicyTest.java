package dev.plank.pubsub;

import static dev.plank.pubsub.PubSubLimitsTest.assertError;
import static dev.plank.pubsub.Topics.join;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.Jwts;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Who may join, broadcast and track, as the policy's topic grants say; failing closed. */
class PubSubPolicyTest {
  static final String POLICY =
      """
      {
        "roles": {
          "authenticated": {
            "read": { "items": true },
            "topics": {
              "join": ["room:*", "user:{sub}"],
              "broadcast": "room:public",
              "presence": ["user:{sub}"]
            }
          },
          "reader": { "read": "*" }
        }
      }
      """;

  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.startWithPolicy(PubSubPolicyTest.class, POLICY);
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  static WsClient as(String sub, String role) {
    return WsClient.connect(
        plank.wsUrl(),
        Map.of("Authorization", "Bearer " + Jwts.hs256(Jwts.claims(sub, role, 600))));
  }

  @Test
  void joinBroadcastAndTrackNeedTheirGrants() {
    try (WsClient alice = as("alice", "authenticated")) {
      join(alice, "room:1");
      alice.send("{\"action\":\"join\",\"id\":1,\"topic\":\"secret\"}");
      assertError(alice.next(), "forbidden", 1);
      alice.send("{\"action\":\"join\",\"id\":2,\"topic\":\"user:bob\"}");
      assertError(alice.next(), "forbidden", 2);

      alice.send("{\"action\":\"broadcast\",\"id\":3,\"topic\":\"room:1\",\"event\":\"e\"}");
      assertError(alice.next(), "forbidden", 3);
      join(alice, "room:public");
      alice.send(
          "{\"action\":\"broadcast\",\"topic\":\"room:public\",\"event\":\"e\",\"ack\":true}");
      assertThat(alice.next().path("type").asText()).isEqualTo("broadcasted");

      alice.send("{\"action\":\"track\",\"id\":4,\"topic\":\"room:1\",\"state\":{}}");
      assertError(alice.next(), "forbidden", 4);
      join(alice, "user:alice");
      assertThat(Topics.track(alice, "user:alice", null, "{}").path("type").asText())
          .isEqualTo("tracked");
    }
  }

  @Test
  void aRoleWithoutTopicGrantsMayDoNothing() {
    try (WsClient reader = as("r", "reader")) {
      reader.send("{\"action\":\"join\",\"id\":1,\"topic\":\"room:1\"}");
      assertError(reader.next(), "forbidden", 1);
    }
  }

  @Test
  void restBroadcastNeedsTheGrantToo() {
    String alice = Jwts.hs256(Jwts.claims("alice", "authenticated", 600));
    String reader = Jwts.hs256(Jwts.claims("r", "reader", 600));
    String body = "{\"topic\":\"room:public\",\"event\":\"e\",\"payload\":{}}";
    assertThat(Topics.post(plank.httpUrl(), body, alice).statusCode()).isEqualTo(202);
    assertThat(Topics.post(plank.httpUrl(), body, reader).statusCode()).isEqualTo(403);
    assertThat(Topics.post(plank.httpUrl(), body, null).statusCode()).isEqualTo(401);
    String other = "{\"topic\":\"room:1\",\"event\":\"e\"}";
    assertThat(Topics.post(plank.httpUrl(), other, alice).statusCode()).isEqualTo(403);
  }
}
