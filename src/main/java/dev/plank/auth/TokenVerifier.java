package dev.plank.auth;

import dev.plank.config.AuthSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a token into a {@link Principal}, or a {@link TokenException} whose message is safe to show
 * the client. Shared by every event loop: its only mutable state is the current generation of
 * signing keys (volatile) and, for JWKS, the refresh bookkeeping (guarded by {@code this}).
 *
 * <p>Checks, in order: the shape (three base64url parts, at most {@value #MAX_TOKEN_CHARS}
 * characters); the algorithm, pinned to the configured key's kind ({@code alg: none} and an HS256
 * token against an RSA key never reach a key); the signature (Vert.x); then {@code exp} (required),
 * {@code nbf}, {@code iat}, {@code iss} and {@code aud} with the leeway; then the role claim.
 */
public final class TokenVerifier {
  private static final Logger log = LoggerFactory.getLogger(TokenVerifier.class);
  static final int MAX_TOKEN_CHARS = 8192;
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9_-]+");
  private static final Pattern SAFE_WORD = Pattern.compile("[A-Za-z0-9_.-]{1,32}");
  private static final long JWKS_REFRESH_NANOS = Duration.ofSeconds(10).toNanos();

  private final AuthSettings settings;
  private final String roleClaim;
  private final JwksLoader jwks; // null unless keys come from a JWKS document
  private volatile Future<SigningKeys> keys;
  private long lastRefreshNanos; // guarded by this
  private Future<SigningKeys> refreshing; // guarded by this; the refresh under way, if any

  private TokenVerifier(AuthSettings settings, String roleClaim, JwksLoader jwks) {
    this.settings = settings;
    this.roleClaim = roleClaim;
    this.jwks = jwks;
  }

  /**
   * A verifier for the configured key. With a JWKS document, its first load starts now; tokens wait
   * for it.
   *
   * @param roleClaim the claim the role is read from ({@link AuthSettings#roleClaim})
   */
  public static TokenVerifier create(Vertx vertx, AuthSettings settings, String roleClaim) {
    if (!settings.tokensRequired()) throw new IllegalArgumentException("tokens are not configured");
    if (settings.jwks() != null) {
      TokenVerifier verifier =
          new TokenVerifier(settings, roleClaim, new JwksLoader(vertx, settings.jwks()));
      synchronized (verifier) {
        // The first load does not count against the rate limit: a key rotated just after start
        // is still found on the first token that uses it.
        verifier.lastRefreshNanos = System.nanoTime() - JWKS_REFRESH_NANOS;
        verifier.keys = verifier.loadJwks();
      }
      return verifier;
    }
    PubSecKeyOptions key =
        settings.secret() != null
            ? new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(settings.secret())
            : new PubSecKeyOptions()
                .setAlgorithm(settings.publicKey().algorithm())
                .setBuffer(settings.publicKey().pem());
    JWTAuth provider =
        JWTAuth.create(
            vertx, new JWTAuthOptions().setJWTOptions(signatureOnly()).addPubSecKey(key));
    TokenVerifier verifier = new TokenVerifier(settings, roleClaim, null);
    verifier.keys =
        Future.succeededFuture(new SigningKeys(provider, Set.of(key.getAlgorithm()), Set.of()));
    return verifier;
  }

  /** The clock skew allowed on {@code exp}: a connection lives until exp plus this. */
  public Duration leeway() {
    return settings.leeway();
  }

  /** Vert.x checks the signature only; the claims are checked below, with reasons to give. */
  static JWTOptions signatureOnly() {
    return new JWTOptions().setIgnoreExpiration(true).setLeeway(0);
  }

  /**
   * Verifies a token. The future may complete on any thread; callers that own state hop back to
   * their own context.
   */
  public Future<Principal> verify(String token) {
    Header header;
    try {
      header = header(token);
    } catch (TokenException e) {
      return Future.failedFuture(e);
    }
    return keys.recover(err -> refresh(true))
        .<Principal>compose(
            current -> {
              if (header.kid() != null
                  && jwks != null
                  && !current.keyIds().isEmpty()
                  && !current.keyIds().contains(header.kid())) {
                // An issuer that rotated its keys: look once more (rate-limited), then decide.
                return refresh(false).compose(fresh -> check(token, header, fresh));
              }
              return check(token, header, current);
            },
            err -> Future.failedFuture(new TokenException("the signing keys are not available")))
        // Whatever failed, the client gets a reason from this class, never a library's message.
        .recover(
            err ->
                Future.failedFuture(
                    err instanceof TokenException ? err : new TokenException("invalid token")));
  }

  private Future<Principal> check(String token, Header header, SigningKeys current) {
    if (!current.algorithms().contains(header.alg())) {
      return Future.failedFuture(
          new TokenException(
              "algorithm "
                  + header.alg()
                  + " is not accepted here (expected "
                  + String.join(" or ", current.algorithms().stream().sorted().toList())
                  + ")"));
    }
    if (header.kid() != null
        && jwks != null
        && !current.keyIds().isEmpty()
        && !current.keyIds().contains(header.kid())) {
      return Future.failedFuture(new TokenException("unknown key id"));
    }
    return current
        .provider()
        .authenticate(new TokenCredentials(token))
        .transform(
            user -> {
              if (user.failed()) {
                return Future.failedFuture(new TokenException("invalid signature"));
              }
              try {
                // The payload as signed: Vert.x's User moves exp, nbf, sub elsewhere.
                return Future.succeededFuture(principal(payload(token)));
              } catch (TokenException e) {
                return Future.failedFuture(e);
              }
            });
  }

  private static JsonObject payload(String token) throws TokenException {
    try {
      String part = token.substring(token.indexOf('.') + 1, token.lastIndexOf('.'));
      return new JsonObject(
          new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new TokenException("malformed token (payload)");
    }
  }

  /** The claims, checked; the signature has been. */
  private Principal principal(JsonObject claims) throws TokenException {
    long now = System.currentTimeMillis() / 1000;
    long leeway = settings.leeway().toSeconds();
    Long exp = numericDate(claims, "exp");
    if (exp == null) throw new TokenException("token has no 'exp' claim");
    if (now - leeway >= exp) throw new TokenException("token expired");
    Long nbf = numericDate(claims, "nbf");
    if (nbf != null && nbf > now + leeway) throw new TokenException("token not valid yet (nbf)");
    Long iat = numericDate(claims, "iat");
    if (iat != null && iat > now + leeway) throw new TokenException("token issued in the future");
    if (settings.issuer() != null && !settings.issuer().equals(claims.getValue("iss"))) {
      throw new TokenException("wrong issuer");
    }
    if (settings.audience() != null && !audiences(claims).contains(settings.audience())) {
      throw new TokenException("wrong audience");
    }
    Object role = claims.getValue(roleClaim);
    if (!(role instanceof String r) || r.isBlank()) {
      // Fail closed: a token that names no role must not fall into some default one.
      throw new TokenException("token has no '" + roleClaim + "' claim (a string)");
    }
    return new Principal(r, plain(claims.getMap()), Instant.ofEpochSecond(exp));
  }

  private static Long numericDate(JsonObject claims, String name) throws TokenException {
    Object value = claims.getValue(name);
    if (value == null) return null;
    if (!(value instanceof Number n)) throw new TokenException("'" + name + "' is not a number");
    return n.longValue();
  }

  private static List<Object> audiences(JsonObject claims) {
    Object aud = claims.getValue("aud");
    if (aud instanceof String s) return List.of(s);
    if (aud instanceof JsonArray a) return a.getList();
    return List.of();
  }

  /** Claims as plain maps and lists; JSON nulls dropped (Principal's map holds no nulls). */
  private static Map<String, Object> plain(Map<String, Object> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach(
        (k, v) -> {
          Object p = plainValue(v);
          if (p != null) out.put(k, p);
        });
    return Collections.unmodifiableMap(out);
  }

  @SuppressWarnings("unchecked")
  private static Object plainValue(Object v) {
    if (v instanceof JsonObject o) return plain(o.getMap());
    if (v instanceof Map<?, ?> m) return plain((Map<String, Object>) m);
    if (v instanceof JsonArray a) return plainList(a.getList());
    if (v instanceof List<?> l) return plainList(l);
    return v;
  }

  private static List<Object> plainList(List<?> list) {
    List<Object> out = new ArrayList<>();
    for (Object v : list) out.add(plainValue(v));
    return Collections.unmodifiableList(out);
  }

  /** The parts of the header the checks need, read before any key is touched. */
  private record Header(String alg, String kid) {}

  private static Header header(String token) throws TokenException {
    if (token == null || token.isEmpty()) throw new TokenException("empty token");
    if (token.length() > MAX_TOKEN_CHARS) throw new TokenException("token too long");
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3)
      throw new TokenException("malformed token (expected header.payload.signature)");
    JsonObject header;
    try {
      if (!PART.matcher(parts[0]).matches() || !PART.matcher(parts[1]).matches()) {
        throw new IllegalArgumentException();
      }
      header =
          new JsonObject(
              new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new TokenException("malformed token");
    }
    Object alg = header.getValue("alg");
    if (!(alg instanceof String a)) throw new TokenException("malformed token (no 'alg')");
    if (a.equalsIgnoreCase("none"))
      throw new TokenException("unsigned tokens (alg none) are refused");
    if (parts[2].isEmpty() || !PART.matcher(parts[2]).matches()) {
      throw new TokenException("malformed token (no signature)");
    }
    if (!SAFE_WORD.matcher(a).matches()) throw new TokenException("unsupported algorithm");
    Object kid = header.getValue("kid");
    if (kid != null && !(kid instanceof String))
      throw new TokenException("malformed token ('kid')");
    return new Header(a, (String) kid);
  }

  /**
   * Reloads the JWKS document at most once per 10 s; concurrent callers share one load. Answers the
   * keys to use now: the fresh ones, or the current ones when a refresh is not due or failed.
   *
   * @param failedBefore the current keys never loaded: a failure then leaves nothing to fall back
   *     on
   */
  private Future<SigningKeys> refresh(boolean failedBefore) {
    if (jwks == null) return keys;
    synchronized (this) {
      if (refreshing != null) return refreshing;
      long now = System.nanoTime();
      if (now - lastRefreshNanos < JWKS_REFRESH_NANOS) return keys;
      lastRefreshNanos = now;
      Future<SigningKeys> previous = keys;
      Future<SigningKeys> load = loadJwks();
      refreshing = load;
      return load.andThen(
              r -> {
                synchronized (this) {
                  refreshing = null;
                  if (r.succeeded() || failedBefore) keys = load;
                }
              })
          .recover(err -> failedBefore ? Future.failedFuture(err) : previous);
    }
  }

  private Future<SigningKeys> loadJwks() {
    return jwks.load()
        .onSuccess(k -> log.info("Loaded {} JWKS key(s) from {}", k.keyIds().size(), jwks))
        .onFailure(err -> log.warn("Cannot load the JWKS from {}: {}", jwks, err.getMessage()));
  }
}
