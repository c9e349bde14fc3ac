package dev.plank.auth;

import io.vertx.ext.auth.jwt.JWTAuth;
import java.util.Set;

/**
 * One immutable generation of the keys a token may be signed with: the Vert.x provider that checks
 * signatures, the algorithms it accepts, and the key ids it knows (empty when keys have none).
 */
record SigningKeys(JWTAuth provider, Set<String> algorithms, Set<String> keyIds) {
  SigningKeys {
    algorithms = Set.copyOf(algorithms);
    keyIds = Set.copyOf(keyIds);
  }
}
