package dev.plank.auth;

import java.time.Instant;
import java.util.Map;

/**
 * Who a request or connection acts for: the role and claims of a verified token, or the anonymous
 * caller. Immutable; a renewed token yields a new principal.
 *
 * @param role the role the policy is looked up by
 * @param claims the token's claims as JSON values (strings, numbers, booleans, lists, maps)
 * @param expiresAt when the token stops being valid, or {@code null} for never (no token)
 */
public record Principal(String role, Map<String, Object> claims, Instant expiresAt) {
  public static final String ANONYMOUS_ROLE = "anon";

  public Principal {
    claims = Map.copyOf(claims);
  }

  /** A caller without a token. */
  public static Principal anonymous() {
    return new Principal(ANONYMOUS_ROLE, Map.of(), null);
  }
}
