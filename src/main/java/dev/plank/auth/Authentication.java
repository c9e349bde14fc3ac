package dev.plank.auth;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Objects;

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

  /**
   * Verifies a token and completes on the caller's own context: keys fetched from a JWKS URL arrive
   * on another one, and the request, connection or session state belongs to the caller's. Call it
   * on an event loop, with tokens on.
   */
  public Future<Principal> verifyHere(String token) {
    Context here = Objects.requireNonNull(Vertx.currentContext(), "not on an event loop");
    Promise<Principal> done = Promise.promise();
    verifier
        .verify(token)
        .onComplete(
            r -> {
              if (Vertx.currentContext() == here) done.handle(r);
              else here.runOnContext(v -> done.handle(r));
            });
    return done.future();
  }
}
