package dev.plank.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.support.Jwts;
import dev.plank.support.RawHttp;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.time.Instant;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad token is refused, with a reason and without the token in it: on the upgrade
 * (401 problem+json) and in an {@code auth} message ({@code unauthorized}, the connection stays).
 * An HS256 node with an issuer and an audience, no leeway.
 */
class TokenRefusalTest {
  static final String ISSUER = "https://issuer.test";
  static final String AUDIENCE = "plank-test";
  static final ObjectMapper JSON = new ObjectMapper();
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank =
        TestPlank.start(
            TokenRefusalTest.class,
            Map.of(
                "PLANK_JWT_SECRET",
                Jwts.SECRET,
                "PLANK_JWT_ISSUER",
                ISSUER,
                "PLANK_JWT_AUDIENCE",
                AUDIENCE,
                "PLANK_JWT_LEEWAY",
                "0s",
                "PLANK_AUTH_TIMEOUT",
                "1s"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  static Map<String, Object> good() {
    Map<String, Object> claims = Jwts.claims("42", "authenticated", 600);
    claims.put("iss", ISSUER);
    claims.put("aud", AUDIENCE);
    return claims;
  }

  static Map<String, Object> with(String claim, Object value) {
    Map<String, Object> claims = good();
    claims.put(claim, value);
    return claims;
  }

  static Stream<Arguments> badTokens() {
    long now = Instant.now().getEpochSecond();
    return Stream.of(
        bad("expired", () -> Jwts.hs256(with("exp", now - 5)), "token expired"),
        bad("not yet valid", () -> Jwts.hs256(with("nbf", now + 600)), "token not valid yet (nbf)"),
        bad("wrong issuer", () -> Jwts.hs256(with("iss", "https://evil.test")), "wrong issuer"),
        bad("no issuer", () -> Jwts.hs256(without("iss")), "wrong issuer"),
        bad("wrong audience", () -> Jwts.hs256(with("aud", "other")), "wrong audience"),
        bad("no exp", () -> Jwts.hs256(without("exp")), "token has no 'exp' claim"),
        bad("no role", () -> Jwts.hs256(without("role")), "token has no 'role' claim (a string)"),
        bad(
            "forged signature",
            () -> Jwts.hs256("another-secret-0123456789-abcdefghijkl", good()),
            "invalid signature"),
        bad(
            "tampered payload",
            () -> Jwts.tampered(Jwts.hs256(good()), with("role", "service")),
            "invalid signature"),
        bad("alg none", () -> Jwts.unsigned(good()), "unsigned tokens (alg none) are refused"),
        bad("garbage", () -> "not-a-token", "malformed token (expected header.payload.signature)"));
  }

  static Map<String, Object> without(String claim) {
    Map<String, Object> claims = good();
    claims.remove(claim);
    return claims;
  }

  static Arguments bad(String name, Supplier<String> token, String reason) {
    return Arguments.of(name, token.get(), reason);
  }

  @Test
  void theGoodTokenIsAccepted() {
    String token = Jwts.hs256(good());
    try (WsClient ws =
        WsClient.connect(plank.wsUrl(), Map.of("Authorization", "Bearer " + token))) {
      ws.subscribe("items");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void onTheUpgradeItIs401(String name, String token, String reason) throws Exception {
    for (RawHttp.Response response :
        new RawHttp.Response[] {
          RawHttp.upgrade(plank.port(), "/ws", Map.of("Authorization", "Bearer " + token)),
          RawHttp.upgrade(plank.port(), "/ws?token=" + token, Map.of())
        }) {
      assertThat(response.status()).as(response.head()).isEqualTo(401);
      JsonNode problem = JSON.readTree(response.body());
      assertThat(problem.path("detail").asText()).isEqualTo("invalid token: " + reason);
      assertThat(response.body()).doesNotContain(token);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void inAnAuthMessageItIsUnauthorizedAndTheConnectionStays(
      String name, String token, String reason) {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.send("{\"action\":\"auth\",\"id\":7,\"token\":" + JSON.valueToTree(token) + "}");
      JsonNode error = ws.next();
      assertThat(error.path("type").asText()).isEqualTo("error");
      assertThat(error.path("code").asText()).isEqualTo("unauthorized");
      assertThat(error.path("id").asInt()).isEqualTo(7);
      assertThat(error.path("message").asText()).isEqualTo("invalid token: " + reason);
      ws.send("{\"action\":\"ping\",\"id\":8}");
      assertThat(ws.next().path("type").asText()).isEqualTo("pong");
      // Still not authenticated: no subscription for it.
      ws.send("{\"action\":\"subscribe\",\"channel\":\"items\",\"id\":9}");
      assertThat(ws.next().path("code").asText()).isEqualTo("unauthorized");
    }
  }

  @Test
  void withoutATokenTheConnectionIsClosedAtTheAuthDeadline() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      WsClient.Closed closed = ws.awaitClose();
      assertThat(closed).isEqualTo(new WsClient.Closed(1008, "unauthorized"));
    }
  }

  @Test
  void restWithoutATokenIs401() throws Exception {
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(plank.httpUrl() + "/api/items"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/problem+json");
  }
}
