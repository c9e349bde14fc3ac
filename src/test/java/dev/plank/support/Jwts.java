package dev.plank.support;

import dev.plank.auth.TokenSigner;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/** Tokens for tests: good ones, and every kind of bad one a hostile client would try. */
public final class Jwts {
  /** A secret long enough for HS256 (32 bytes). */
  public static final String SECRET = "test-secret-0123456789-abcdefghijklmnop";

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private Jwts() {}

  /** Claims for a user: sub, role, exp in {@code ttlSeconds}. */
  public static Map<String, Object> claims(String sub, String role, long ttlSeconds) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("sub", sub);
    claims.put("role", role);
    claims.put("exp", Instant.now().getEpochSecond() + ttlSeconds);
    return claims;
  }

  public static String hs256(Map<String, Object> claims) {
    return TokenSigner.hs256(SECRET, claims);
  }

  public static String hs256(String secret, Map<String, Object> claims) {
    return TokenSigner.hs256(secret, claims);
  }

  public static KeyPair rsa() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public key as a PEM file's text. */
  public static String pem(KeyPair pair) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(pair.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  /** An RS256 token, with a {@code kid} header when one is given. */
  public static String rs256(PrivateKey key, String kid, Map<String, Object> claims) {
    String header =
        "{\"alg\":\"RS256\",\"typ\":\"JWT\""
            + (kid == null ? "" : ",\"kid\":\"" + kid + "\"")
            + "}";
    String input = b64(header) + "." + b64(json(claims));
    try {
      Signature signer = Signature.getInstance("SHA256withRSA");
      signer.initSign(key);
      signer.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + B64.encodeToString(signer.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code alg: none}: no signature at all. */
  public static String unsigned(Map<String, Object> claims) {
    return b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(json(claims)) + ".";
  }

  /** The payload replaced, the signature kept: what a forger without the key can do. */
  public static String tampered(String token, Map<String, Object> claims) {
    String[] parts = token.split("\\.", -1);
    return parts[0] + "." + b64(json(claims)) + "." + parts[2];
  }

  private static String b64(String text) {
    return B64.encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String json(Map<String, Object> claims) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(claims);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
