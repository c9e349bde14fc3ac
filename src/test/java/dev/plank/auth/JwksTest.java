package dev.plank.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.support.Jwts;
import dev.plank.support.RawHttp;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keys from a JWKS URL, served by a real HTTP server whose key set the test changes: an unknown
 * {@code kid} makes Plank fetch the document once more, and no more often than every 10 s.
 */
class JwksTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final KeyPair FIRST = Jwts.rsa();
  static final KeyPair ROTATED = Jwts.rsa();
  static final List<JsonObject> published = new CopyOnWriteArrayList<>();
  static final AtomicInteger fetches = new AtomicInteger();
  static Vertx vertx;
  static HttpServer jwks;
  static TestPlank plank;

  @BeforeAll
  static void start() throws Exception {
    published.add(jwk("first", FIRST));
    vertx = Vertx.vertx();
    jwks =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  fetches.incrementAndGet();
                  req.response()
                      .putHeader("content-type", "application/json")
                      .end(
                          new JsonObject()
                              .put("keys", new JsonArray(List.copyOf(published)))
                              .encode());
                })
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    plank =
        TestPlank.start(
            JwksTest.class,
            Map.of("PLANK_JWT_JWKS", "http://127.0.0.1:" + jwks.actualPort() + "/jwks.json"));
  }

  @AfterAll
  static void stop() throws Exception {
    plank.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static JsonObject jwk(String kid, KeyPair pair) {
    RSAPublicKey key = (RSAPublicKey) pair.getPublic();
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return new JsonObject()
        .put("kty", "RSA")
        .put("kid", kid)
        .put("use", "sig")
        .put("n", b64.encodeToString(unsigned(key.getModulus())))
        .put("e", b64.encodeToString(unsigned(key.getPublicExponent())));
  }

  private static byte[] unsigned(BigInteger n) {
    byte[] bytes = n.toByteArray();
    return bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }

  @Test
  void anUnknownKidRefreshesTheKeysOnceThenIsRateLimited() throws Exception {
    // The first key works.
    String first = Jwts.rs256(FIRST.getPrivate(), "first", Jwts.claims("1", "authenticated", 60));
    try (WsClient ws =
        WsClient.connect(plank.wsUrl(), Map.of("Authorization", "Bearer " + first))) {
      ws.subscribe("items");
    }
    int before = fetches.get();

    // The issuer rotates: a token with the new kid makes Plank fetch the document again.
    published.add(jwk("rotated", ROTATED));
    String rotated =
        Jwts.rs256(ROTATED.getPrivate(), "rotated", Jwts.claims("2", "authenticated", 60));
    try (WsClient ws =
        WsClient.connect(plank.wsUrl(), Map.of("Authorization", "Bearer " + rotated))) {
      ws.subscribe("items");
    }
    assertThat(fetches.get()).isEqualTo(before + 1);

    // Another unknown kid right after: refused without fetching again (at most once per 10 s).
    String unknown =
        Jwts.rs256(Jwts.rsa().getPrivate(), "unknown", Jwts.claims("3", "authenticated", 60));
    RawHttp.Response response =
        RawHttp.upgrade(plank.port(), "/ws", Map.of("Authorization", "Bearer " + unknown));
    assertThat(response.status()).isEqualTo(401);
    assertThat(JSON.readTree(response.body()).path("detail").asText())
        .isEqualTo("invalid token: unknown key id");
    assertThat(fetches.get()).isEqualTo(before + 1);
  }
}
