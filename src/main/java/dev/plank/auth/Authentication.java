package dev.plank.auth;

import java.time.Duration;

/**
 * How requests and connections prove who they are. Immutable: every event loop shares one.
 *
 * @param verifier checks tokens; {@code null} when tokens are off (no JWT key configured, or {@code
 *     PLANK_AUTH=none}): then every caller is anonymous and tokens are ignored
 * @param anonymousAllowed whether a caller without a token may proceed as {@link
 *     Principal#anonymous()} when tokens are on; the policy decides (its {@code anon} role)
 * @param authTimeout how long a WebSocket opened without a token may take to send {@code auth} when
 *     it must
 */
public record Authentication(
    TokenVerifier verifier, boolean anonymousAllowed, Duration authTimeout) {

  /** Tokens off: everyone is anonymous and allowed through (the policy may still restrict). */
  public static Authentication off() {
    return new Authentication(null, true, Duration.ofSeconds(10));
  }

  public boolean tokensOn() {
    return verifier != null;
  }

  /** Whether a caller without a token must be refused (REST) or must authenticate (WebSocket). */
  public boolean tokenRequired() {
    return tokensOn() && !anonymousAllowed;
  }

  /** The same, with the policy's answer on anonymous callers. */
  public Authentication withAnonymousAllowed(boolean allowed) {
    return new Authentication(verifier, allowed, authTimeout);
  }
}
