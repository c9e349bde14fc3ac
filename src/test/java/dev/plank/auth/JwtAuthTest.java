package dev.plank.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.support.Jwts;
import dev.plank.support.RawHttp;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HS256 tokens on the upgrade, in the first message and on REST, against a real node. */
class JwtAuthTest {
  static TestPlank plank;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() {
    plank =
        TestPlank.start(
            JwtAuthTest.class,
            Map.of(
                "PLANK_JWT_SECRET", Jwts.SECRET,
                "PLANK_JWT_LEEWAY", "0s",
                "PLANK_AUTH_TIMEOUT", "1s"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void aValidTokenInTheHeaderOpensTheConnection() {
    String token = Jwts.hs256(Jwts.claims("42", "authenticated", 60));
    try (WsClient ws =
        WsClient.connect(plank.wsUrl(), Map.of("Authorization", "Bearer " + token))) {
      ws.subscribe("items");
    }
  }

  @Test
  void aValidTokenInTheQueryOpensTheConnection() {
    String token = Jwts.hs256(Jwts.claims("42", "authenticated", 60));
    try (WsClient ws = WsClient.connect(plank.wsUrl() + "?token=" + token)) {
      ws.subscribe("items");
    }
  }

  @Test
  void aForgedTokenOnTheUpgradeIs401() throws Exception {
    String token =
        Jwts.hs256(
            "another-secret-0123456789-abcdefghijkl", Jwts.claims("42", "authenticated", 60));
    RawHttp.Response response =
        RawHttp.upgrade(plank.port(), "/ws", "Authorization", "Bearer " + token);
    assertThat(response.status()).isEqualTo(401);
    assertThat(response.header("content-type")).contains("application/problem+json");
    JsonNode problem = JSON.readTree(response.body());
    assertThat(problem.path("status").asInt()).isEqualTo(401);
    assertThat(problem.path("detail").asText()).isEqualTo("invalid token: invalid signature");
  }

  @Test
  void withoutATokenRequestsAreUnauthorizedUntilAuth() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.send("{\"action\":\"subscribe\",\"channel\":\"items\",\"id\":1}");
      JsonNode error = ws.next();
      assertThat(error.path("type").asText()).isEqualTo("error");
      assertThat(error.path("code").asText()).isEqualTo("unauthorized");
      assertThat(error.path("id").asInt()).isEqualTo(1);
      String token = Jwts.hs256(Jwts.claims("42", "authenticated", 60));
      ws.send("{\"action\":\"auth\",\"token\":\"" + token + "\",\"id\":2}");
      JsonNode ok = ws.next();
      assertThat(ok.path("type").asText()).isEqualTo("authenticated");
      assertThat(ok.path("id").asInt()).isEqualTo(2);
      assertThat(ok.path("expires").asLong()).isPositive();
      ws.subscribe("items");
    }
  }

  @Test
  void restWithABadTokenIs401AndWithAGoodOneServes() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> bad =
        http.send(
            HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/api/items"))
                .header("Authorization", "Bearer not.a.token")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(bad.headers().firstValue("content-type")).hasValue("application/problem+json");
    String token = Jwts.hs256(Jwts.claims("42", "authenticated", 60));
    HttpResponse<String> good =
        http.send(
            HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/api/items"))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(good.statusCode()).isEqualTo(200);
  }
}
