package dev.plank.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.Jwts;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A token renewed before {@code exp} keeps the connection and its subscriptions; one not renewed
 * ends it.
 */
class RenewalTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank =
        TestPlank.start(
            RenewalTest.class, Map.of("PLANK_JWT_SECRET", Jwts.SECRET, "PLANK_JWT_LEEWAY", "0s"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  static void auth(WsClient ws, String token, int id) {
    ws.send("{\"action\":\"auth\",\"id\":" + id + ",\"token\":\"" + token + "\"}");
  }

  @Test
  void renewalKeepsTheSubscriptionsAndExpiryWithoutItCloses() {
    // Both start with tokens that expire in 2 s; only the first renews.
    String shortLived = Jwts.hs256(Jwts.claims("42", "authenticated", 2));
    try (WsClient renewing = WsClient.connect(plank.wsUrl());
        WsClient lapsing = WsClient.connect(plank.wsUrl())) {
      auth(renewing, shortLived, 1);
      assertThat(renewing.next().path("type").asText()).isEqualTo("authenticated");
      auth(lapsing, shortLived, 1);
      assertThat(lapsing.next().path("type").asText()).isEqualTo("authenticated");
      renewing.subscribe("items");
      lapsing.subscribe("items");

      auth(renewing, Jwts.hs256(Jwts.claims("42", "authenticated", 600)), 2);
      JsonNode renewed = renewing.next();
      assertThat(renewed.path("type").asText()).isEqualTo("authenticated");
      assertThat(renewed.path("id").asInt()).isEqualTo(2);

      // The unrenewed one is closed when its token expires...
      assertThat(lapsing.closed().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join())
          .isEqualTo(new WsClient.Closed(1008, "unauthorized"));
      // ...by then the first token of the renewed one has expired too, and it still gets changes.
      plank.db().execute("INSERT INTO items(name, value) VALUES ('after expiry', 1)");
      JsonNode change = renewing.next(Duration.ofSeconds(5));
      assertThat(change.path("type").asText()).isEqualTo("INSERT");
      assertThat(change.path("data").path("name").asText()).isEqualTo("after expiry");
      assertThat(renewing.closed()).isNotDone();
    }
  }

  @Test
  void aRenewalForAnotherUserIsRefusedAndTheConnectionKeepsItsIdentity() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      auth(ws, Jwts.hs256(Jwts.claims("42", "authenticated", 600)), 1);
      assertThat(ws.next().path("type").asText()).isEqualTo("authenticated");
      ws.subscribe("items");
      for (String token :
          new String[] {
            Jwts.hs256(Jwts.claims("43", "authenticated", 600)),
            Jwts.hs256(Jwts.claims("42", "service", 600)),
            Jwts.hs256(withClaim(Jwts.claims("42", "authenticated", 900), "tenant", "b"))
          }) {
        auth(ws, token, 2);
        JsonNode error = ws.next();
        assertThat(error.path("code").asText()).isEqualTo("unauthorized");
        assertThat(error.path("message").asText())
            .isEqualTo(
                "invalid token: a renewed token must have the same claims (but for its times) as"
                    + " the connection's: reconnect with a token for a different identity");
      }
      ws.send("{\"action\":\"ping\"}");
      assertThat(ws.next().path("type").asText()).isEqualTo("pong");
    }
  }

  private static java.util.Map<String, Object> withClaim(
      java.util.Map<String, Object> claims, String name, Object value) {
    claims.put(name, value);
    return claims;
  }
}
