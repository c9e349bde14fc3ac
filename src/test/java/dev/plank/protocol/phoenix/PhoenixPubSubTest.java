package dev.plank.protocol.phoenix;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.Jwts;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Broadcast and presence on {@code /realtime/v1/websocket} under a policy, as raw vsn 1.0.0 frames
 * (the real client's tests are in {@code SupabaseClientIT}): the policy's topic grants refuse a
 * join and a broadcast, and a Supabase channel {@code realtime:room:1} shares the topic {@code
 * room:1} with Plank's own protocol.
 */
class PhoenixPubSubTest {
  static final String POLICY =
      """
      {"roles": {
        "authenticated": {"read": {"items": true},
                          "topics": {"join": ["room:*"], "broadcast": ["room:public"]}},
        "service": {"read": "*", "topics": {"join": "*", "broadcast": "*", "presence": "*"}}
      }}
      """;

  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.startWithPolicy(PhoenixPubSubTest.class, POLICY);
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  private static String token(String sub, String role) {
    return Jwts.hs256(Jwts.claims(sub, role, 600));
  }

  private static WsClient phoenix(String token) {
    return WsClient.connect(
        plank.wsUrl().replace("/ws", "/realtime/v1/websocket") + "?vsn=1.0.0&apikey=" + token);
  }

  private static String join(String topic, String ref, boolean ack, String bindings) {
    return "{\"topic\":\"realtime:"
        + topic
        + "\",\"event\":\"phx_join\",\"ref\":\""
        + ref
        + "\",\"join_ref\":\""
        + ref
        + "\",\"payload\":{\"config\":{\"broadcast\":{\"ack\":"
        + ack
        + ",\"self\":false},\"presence\":{\"key\":\"\",\"enabled\":false},"
        + "\"postgres_changes\":"
        + bindings
        + ",\"private\":false}}}";
  }

  private static String broadcast(String topic, String ref, String joinRef, String event) {
    return "{\"topic\":\"realtime:"
        + topic
        + "\",\"event\":\"broadcast\",\"ref\":\""
        + ref
        + "\",\"join_ref\":\""
        + joinRef
        + "\",\"payload\":{\"type\":\"broadcast\",\"event\":\""
        + event
        + "\",\"payload\":{\"n\":1}}}";
  }

  private static JsonNode until(WsClient client, Predicate<JsonNode> wanted) {
    for (JsonNode m = client.next(); ; m = client.next()) {
      if (wanted.test(m)) return m;
    }
  }

  private static Predicate<JsonNode> replyTo(String ref) {
    return m -> m.path("event").asText().equals("phx_reply") && m.path("ref").asText().equals(ref);
  }

  @Test
  void thePolicysTopicGrantsRefuseJoinsAndBroadcasts() {
    try (WsClient alice = phoenix(token("alice", "authenticated"))) {
      // No join grant, no postgres_changes: refused.
      alice.send(join("secret", "1", true, "[]"));
      JsonNode refused = until(alice, replyTo("1"));
      assertThat(refused.path("payload").path("status").asText()).isEqualTo("error");
      assertThat(refused.path("payload").path("response").path("reason").asText())
          .startsWith("Unauthorized: ")
          .contains("secret");

      // Joined, but no broadcast grant: the acknowledged send is refused.
      alice.send(join("room:1", "2", true, "[]"));
      assertThat(until(alice, replyTo("2")).path("payload").path("status").asText())
          .isEqualTo("ok");
      alice.send(broadcast("room:1", "3", "2", "e"));
      JsonNode denied = until(alice, replyTo("3"));
      assertThat(denied.path("payload").path("status").asText()).isEqualTo("error");
      assertThat(denied.path("payload").path("response").path("reason").asText())
          .startsWith("Unauthorized: not allowed to broadcast");

      // No presence grant: track is refused.
      alice.send(
          "{\"topic\":\"realtime:room:1\",\"event\":\"presence\",\"ref\":\"4\",\"join_ref\":\"2\","
              + "\"payload\":{\"type\":\"presence\",\"event\":\"track\",\"payload\":{}}}");
      assertThat(until(alice, replyTo("4")).path("payload").path("status").asText())
          .isEqualTo("error");

      // A channel with postgres_changes on a topic it may not join still gets its changes (its
      // join succeeds), but no broadcast.
      alice.send(
          join(
              "other", "5", true, "[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"items\"}]"));
      assertThat(until(alice, replyTo("5")).path("payload").path("status").asText())
          .isEqualTo("ok");
      alice.send(broadcast("other", "6", "5", "e"));
      assertThat(until(alice, replyTo("6")).path("payload").path("status").asText())
          .isEqualTo("error");
    }
  }

  @Test
  void aSupabaseChannelAndAWsClientShareTheTopic() {
    String service = token("svc", "service");
    try (WsClient supa = phoenix(service);
        WsClient ws =
            WsClient.connect(plank.wsUrl(), Map.of("Authorization", "Bearer " + service))) {
      ws.send("{\"action\":\"join\",\"id\":1,\"topic\":\"room:7\"}");
      until(ws, m -> m.path("type").asText().equals("presence_state"));
      supa.send(join("room:7", "1", true, "[]"));
      until(supa, replyTo("1"));

      supa.send(broadcast("room:7", "2", "1", "hello"));
      assertThat(until(supa, replyTo("2")).path("payload").path("status").asText()).isEqualTo("ok");
      JsonNode got = until(ws, m -> m.path("type").asText().equals("broadcast"));
      assertThat(got.path("topic").asText()).isEqualTo("room:7");
      assertThat(got.path("event").asText()).isEqualTo("hello");
      assertThat(got.path("payload").path("n").asInt()).isEqualTo(1);

      ws.send(
          "{\"action\":\"broadcast\",\"topic\":\"room:7\",\"event\":\"back\",\"payload\":[1,2]}");
      JsonNode back = until(supa, m -> m.path("event").asText().equals("broadcast"));
      assertThat(back.path("topic").asText()).isEqualTo("realtime:room:7");
      assertThat(back.path("join_ref").isNull()).isTrue();
      assertThat(back.path("payload").toString())
          .isEqualTo("{\"type\":\"broadcast\",\"event\":\"back\",\"payload\":[1,2]}");
    }
  }

  @Test
  void restBroadcastTakesTheApikeyHeaderAndNeedsTheBroadcastGrant() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String alice = token("alice", "authenticated");
    java.util.function.Function<String, Integer> post =
        body -> {
          try {
            return http.send(
                    HttpRequest.newBuilder(
                            URI.create(plank.httpUrl() + "/realtime/v1/api/broadcast"))
                        .header("apikey", alice)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode();
          } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
          }
        };
    String message = "{\"messages\":[{\"topic\":\"%s\",\"event\":\"e\",\"payload\":{}}]}";
    assertThat(post.apply(message.formatted("room:1"))).isEqualTo(403);
    assertThat(post.apply(message.formatted("room:public"))).isEqualTo(202);
    assertThat(post.apply("{}")).isEqualTo(400);
  }
}
