package dev.plank.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A policy's bound filters over real WebSockets with real tokens: nothing a client sends (its own
 * filter, a {@code since} cursor, a snapshot, another channel's name) reaches rows outside them.
 */
class BoundFilterTest {
  static final String POLICY =
      """
      {
        "roles": {
          "anon":          { "read": { "items": true } },
          "authenticated": { "read": { "orders": "user_id=eq.{sub}", "items": true } },
          "tenant":        { "read": { "orders": "user_id=eq.{tenant_id}" } }
        }
      }
      """;

  static TestPlank plank;
  static DatabaseUrl database;

  @BeforeAll
  static void start() throws IOException {
    database = TestDatabases.create(BoundFilterTest.class);
    TestDb db = new TestDb(database);
    db.execute(
        "CREATE TABLE orders (id bigserial PRIMARY KEY, user_id text, item text, amount int)");
    db.execute("CREATE TABLE audit (id bigserial PRIMARY KEY, what text)");
    Path policy = Files.createTempFile("plank-policy", ".json");
    Files.writeString(policy, POLICY);
    policy.toFile().deleteOnExit();
    plank =
        TestPlank.start(
            database,
            Map.of(
                "PLANK_TABLES",
                "items,orders,audit",
                "PLANK_POLICY",
                policy.toString(),
                "PLANK_JWT_SECRET",
                TestTokens.SECRET));
  }

  @AfterAll
  static void stop() {
    if (plank != null) plank.close();
    else TestDatabases.drop(database);
  }

  @BeforeEach
  void clean() {
    plank
        .db()
        .execute(
            // Without the TRUNCATE trigger: its resync would reach the next test's subscriber.
            "SET session_replication_role = replica; TRUNCATE orders, audit RESTART IDENTITY");
  }

  static WsClient as(String token) {
    return WsClient.connect(plank.wsUrl() + "?token=" + token);
  }

  static long order(String userId, String item) {
    return (Long)
        plank
            .db()
            .query(
                "INSERT INTO orders(user_id, item, amount) VALUES (?, ?, 1) RETURNING id",
                userId,
                item)
            .get(0)
            .get("id");
  }

  static JsonNode refusal(WsClient ws, String channel, String extra) {
    ws.send(
        "{\"action\":\"subscribe\",\"id\":1,\"channel\":\""
            + channel
            + "\""
            + (extra.isEmpty() ? "" : "," + extra)
            + "}");
    JsonNode reply = ws.next();
    assertThat(reply.path("type").asText()).as("%s", reply).isEqualTo("error");
    return reply;
  }

  @Test
  void aChannelTheTokenMayNotReadIsAnsweredExactlyLikeAnUnknownOne() {
    try (WsClient ws = as(TestTokens.user("alice"))) {
      JsonNode denied = refusal(ws, "audit", "");
      JsonNode unknown = refusal(ws, "nosuch", "");
      assertThat(denied.path("code").asText()).isEqualTo("unknown_channel");
      assertThat(unknown.path("code").asText()).isEqualTo("unknown_channel");
      assertThat(denied.path("message").asText().replace("audit", "X"))
          .isEqualTo(unknown.path("message").asText().replace("nosuch", "X"));
      // Neither names a channel that exists.
      assertThat(denied.path("message").asText()).doesNotContain("items", "orders");
      assertThat(unknown.path("message").asText()).doesNotContain("items", "orders", "audit");
      // A filter on the denied channel gets the same answer, not a bad_filter naming its columns.
      assertThat(refusal(ws, "audit", "\"filter\":\"nosuch=eq.1\"").path("code").asText())
          .isEqualTo("unknown_channel");
    }
  }

  @Test
  void aBadFilterOnAReadableChannelDoesNotListTheColumns() {
    try (WsClient ws = as(TestTokens.user("alice"))) {
      JsonNode reply = refusal(ws, "orders", "\"filter\":\"nosuch=eq.1\"");
      assertThat(reply.path("code").asText()).isEqualTo("bad_filter");
      assertThat(reply.path("message").asText()).doesNotContain("user_id", "amount");
    }
  }

  @Test
  void theClientsOwnFilterCannotWidenTheBound() {
    try (WsClient ws = as(TestTokens.user("alice"))) {
      ws.subscribe("orders", "\"filter\":\"user_id=in.(alice,bob)\"");
      order("bob", "b1");
      order("alice", "a1");
      assertThat(ws.before(WsClient.rowWith("item", "a1"))).isEmpty();
    }
  }

  @Test
  void aSnapshotHoldsOnlyTheTokensRows() {
    order("alice", "a1");
    order("bob", "b1");
    order("alice", "a2");
    try (WsClient ws = as(TestTokens.user("alice"))) {
      ws.subscribe("orders", "\"snapshot\":true");
      JsonNode page = ws.next();
      assertThat(page.path("last").asBoolean()).isTrue();
      assertThat(items(page.path("rows"))).containsExactly("a1", "a2");
    }
  }

  @Test
  void aReplayFromACursorSkipsOtherUsersRowsWrittenBeforeIt() {
    String cursor;
    try (WsClient ws = as(TestTokens.user("alice"))) {
      ws.subscribe("orders", "\"snapshot\":true");
      cursor = ws.next().path("cursor").asText();
    }
    order("bob", "b1");
    order("alice", "a1");
    order("bob", "b2");
    try (WsClient ws = as(TestTokens.user("alice"))) {
      ws.subscribe("orders", "\"since\":\"" + cursor + "\"");
      order("alice", "marker");
      List<JsonNode> replayed = ws.before(WsClient.rowWith("item", "marker"));
      assertThat(replayed)
          .extracting(m -> m.path("data").path("item").asText())
          .containsExactly("a1");
    }
  }

  @Test
  void anUpdateMovingARowOutIsAKeyOnlyDeleteAndMovingInIsAnInsertWithoutOld() {
    long id = order("alice", "a1");
    try (WsClient ws = as(TestTokens.user("alice"))) {
      ws.subscribe("orders");
      plank.db().execute("UPDATE orders SET user_id = 'bob', item = 'secret' WHERE id = ?", id);
      JsonNode out = ws.next();
      assertThat(out.path("type").asText()).isEqualTo("DELETE");
      assertThat(fieldNames(out.path("data"))).containsExactly("id");
      assertThat(out.path("data").path("id").asLong()).isEqualTo(id);
      assertThat(out.has("old")).isFalse();
      assertThat(out.toString()).doesNotContain("secret", "bob");

      plank.db().execute("UPDATE orders SET item = 'still bob' WHERE id = ?", id); // outside
      plank.db().execute("UPDATE orders SET user_id = 'alice', item = 'a2' WHERE id = ?", id);
      JsonNode in = ws.next();
      assertThat(in.path("type").asText()).isEqualTo("INSERT");
      assertThat(in.path("data").path("item").asText()).isEqualTo("a2");
      assertThat(in.has("old")).isFalse();
      assertThat(in.toString()).doesNotContain("still bob", "bob");

      plank.db().execute("UPDATE orders SET item = 'a3' WHERE id = ?", id); // inside, both sides
      JsonNode update = ws.next();
      assertThat(update.path("type").asText()).isEqualTo("UPDATE");
      assertThat(update.path("old").path("item").asText()).isEqualTo("a2");
    }
  }

  @Test
  void subscribersWithAndWithoutABoundShareTheLiveStreamCorrectly() {
    long id = order("alice", "a1");
    try (WsClient alice = as(TestTokens.user("alice"));
        WsClient alice2 = as(TestTokens.user("alice"));
        WsClient bob = as(TestTokens.user("bob"))) {
      alice.subscribe("orders");
      alice2.subscribe("orders");
      bob.subscribe("orders");
      plank.db().execute("UPDATE orders SET user_id = 'bob' WHERE id = ?", id);
      // The same shape is the same frame for both of alice's connections; bob's is the INSERT.
      String a = alice.nextText(java.time.Duration.ofSeconds(5));
      assertThat(alice2.nextText(java.time.Duration.ofSeconds(5))).isEqualTo(a);
      assertThat(a).contains("\"DELETE\"");
      JsonNode b = bob.next();
      assertThat(b.path("type").asText()).isEqualTo("INSERT");
    }
  }

  @Test
  void aTokenWithoutTheClaimTheRuleNeedsOrWithAnUnknownRoleIsDenied() {
    try (WsClient ws = as(TestTokens.token(Map.of("role", "tenant", "sub", "alice")))) {
      assertThat(refusal(ws, "orders", "").path("code").asText()).isEqualTo("unknown_channel");
    }
    try (WsClient ws =
        as(TestTokens.token(Map.of("role", "tenant", "tenant_id", List.of("alice", "bob"))))) {
      assertThat(refusal(ws, "orders", "").path("code").asText()).isEqualTo("unknown_channel");
    }
    try (WsClient ws = as(TestTokens.token(Map.of("role", "admin", "sub", "alice")))) {
      assertThat(refusal(ws, "items", "").path("code").asText()).isEqualTo("unknown_channel");
    }
  }

  @Test
  void aClaimCannotInjectFilterTerms() {
    order("alice", "a1");
    order("bob", "b1");
    for (String sub : List.of("bob&user_id=neq.zzz", "x,bob)", "bob\"", "*")) {
      try (WsClient ws = as(TestTokens.user(sub))) {
        ws.subscribe("orders", "\"snapshot\":true");
        JsonNode page = ws.next();
        assertThat(page.path("rows").size()).as("rows for sub %s", sub).isZero();
      }
    }
  }

  static List<String> items(JsonNode rows) {
    List<String> out = new ArrayList<>();
    rows.forEach(r -> out.add(r.path("item").asText()));
    return out;
  }

  static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) names.add(it.next());
    return names;
  }
}
