package dev.plank.auth;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Real HS256 tokens for the policy tests, signed with the node's {@code PLANK_JWT_SECRET}. */
public final class TestTokens {
  public static final String SECRET = "policy-test-secret-that-is-long-enough-for-hs256";

  private TestTokens() {}

  /** A token with these claims, valid for ten minutes. */
  public static String token(Map<String, Object> claims) {
    Map<String, Object> payload = new LinkedHashMap<>(claims);
    payload.putIfAbsent("exp", Instant.now().plusSeconds(600).getEpochSecond());
    return TokenSigner.hs256(SECRET, payload);
  }

  /** A token for role {@code authenticated} with subject {@code sub}. */
  public static String user(String sub) {
    return token(Map.of("role", "authenticated", "sub", sub));
  }
}
