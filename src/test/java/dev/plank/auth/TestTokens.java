package dev.plank.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Real HS256 tokens for the policy tests, signed with the node's {@code PLANK_JWT_SECRET}. */
public final class TestTokens {
  public static final String SECRET = "policy-test-secret-that-is-long-enough-for-hs256";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private TestTokens() {}

  /** A token with these claims, valid for ten minutes. */
  public static String token(Map<String, Object> claims) {
    Map<String, Object> payload = new LinkedHashMap<>(claims);
    payload.putIfAbsent("exp", Instant.now().plusSeconds(600).getEpochSecond());
    try {
      String header =
          B64.encodeToString(
              "{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
      String body = B64.encodeToString(JSON.writeValueAsBytes(payload));
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      String signature =
          B64.encodeToString(
              mac.doFinal((header + "." + body).getBytes(StandardCharsets.US_ASCII)));
      return header + "." + body + "." + signature;
    } catch (GeneralSecurityException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A token for role {@code authenticated} with subject {@code sub}. */
  public static String user(String sub) {
    return token(Map.of("role", "authenticated", "sub", sub));
  }
}
