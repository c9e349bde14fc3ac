package dev.plank.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a JWKS document from a file or an http(s) URL and turns its signing keys into {@link
 * SigningKeys}. Only RSA (RS256) and P-256 EC (ES256) keys are taken: a symmetric ({@code oct}) key
 * in a public document would let anyone who reads it sign tokens.
 */
final class JwksLoader {
  private static final int MAX_BYTES = 1024 * 1024;
  private static final long TIMEOUT_MS = 5_000;

  private final Vertx vertx;
  private final String location;
  private final HttpClient http; // null for a file

  JwksLoader(Vertx vertx, String location) {
    this.vertx = vertx;
    this.location = location;
    String lower = location.toLowerCase(Locale.ROOT);
    this.http =
        lower.startsWith("http://") || lower.startsWith("https://")
            ? vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) TIMEOUT_MS))
            : null;
  }

  Future<SigningKeys> load() {
    Future<Buffer> body = http == null ? vertx.fileSystem().readFile(location) : fetch();
    return body.map(this::parse);
  }

  private Future<Buffer> fetch() {
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(location)
            .setIdleTimeout(TIMEOUT_MS)
            .putHeader("accept", "application/json");
    return http.request(request)
        .compose(req -> req.send())
        .compose(
            response -> {
              if (response.statusCode() != 200) {
                return Future.failedFuture("JWKS answered HTTP " + response.statusCode());
              }
              return response.body();
            })
        .timeout(TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private SigningKeys parse(Buffer body) {
    if (body.length() > MAX_BYTES) throw new IllegalArgumentException("JWKS is larger than 1 MB");
    JsonArray keys = new JsonObject(body).getJsonArray("keys");
    if (keys == null) throw new IllegalArgumentException("JWKS has no 'keys' list");
    // Times are checked by TokenVerifier, with the leeway; Vert.x would check exp without it.
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(TokenVerifier.signatureOnly());
    Set<String> algorithms = new HashSet<>();
    Set<String> kids = new HashSet<>();
    for (Object entry : keys) {
      if (!(entry instanceof JsonObject key)) continue;
      String alg = algorithm(key);
      if (alg == null) continue;
      String use = key.getString("use");
      if (use != null && !use.equals("sig")) continue;
      options.addJwk(key.copy().put("alg", alg));
      algorithms.add(alg);
      if (key.getString("kid") != null) kids.add(key.getString("kid"));
    }
    if (algorithms.isEmpty()) {
      throw new IllegalArgumentException("JWKS holds no RS256 or ES256 signing key");
    }
    return new SigningKeys(JWTAuth.create(vertx, options), algorithms, kids);
  }

  /** The algorithm a key verifies, or {@code null} for keys Plank does not take. */
  private static String algorithm(JsonObject key) {
    String kty = key.getString("kty", "");
    String alg = key.getString("alg");
    if (kty.equals("RSA") && (alg == null || alg.equals("RS256"))) return "RS256";
    if (kty.equals("EC")
        && "P-256".equals(key.getString("crv"))
        && (alg == null || alg.equals("ES256"))) {
      return "ES256";
    }
    return null;
  }

  @Override
  public String toString() {
    // Logged: a URL's user info and query may hold a key.
    return location.replaceFirst("//[^/@]*@", "//").replaceFirst("\\?.*", "?…");
  }
}
