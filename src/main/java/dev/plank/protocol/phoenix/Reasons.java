package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * The refusals a Supabase Realtime server sends, as {@code "<Code>: <text>"}, so that clients and
 * apps that match on the code (or on "Token has expired") react to Plank's as to Supabase's.
 */
final class Reasons {
  private Reasons() {}

  /** A token the verifier refused, in Supabase's words where it has them. */
  static String token(String token, String plankMessage) {
    if (plankMessage.equals("token expired")) {
      return "InvalidJWTToken: Token has expired " + secondsAgo(token) + " seconds ago";
    }
    if (plankMessage.equals("invalid signature") || plankMessage.equals("unknown key id")) {
      return "JwtSignatureError: Failed to validate JWT signature";
    }
    if (plankMessage.startsWith("malformed") || plankMessage.equals("empty token")) {
      return "MalformedJWT: The token provided is not a valid JWT";
    }
    return "InvalidJWTToken: " + plankMessage;
  }

  /**
   * How long ago an expired token's {@code exp} was, for the message only: the token was refused,
   * and its claims are read for nothing else.
   */
  private static long secondsAgo(String token) {
    try {
      String[] parts = token.split("\\.", 3);
      byte[] payload = Base64.getUrlDecoder().decode(parts[1]);
      JsonNode claims = new ObjectMapper().readTree(new String(payload, StandardCharsets.UTF_8));
      return Math.max(0, Instant.now().getEpochSecond() - claims.path("exp").asLong());
    } catch (RuntimeException | java.io.IOException e) {
      return 0;
    }
  }
}
