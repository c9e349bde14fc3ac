package dev.plank.protocol.v1;

import dev.plank.auth.Authentication;
import dev.plank.auth.Principal;
import dev.plank.auth.TokenException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Who one v1 connection acts for, and the one timer that ends it: the deadline to authenticate
 * (when a token is required and none came with the upgrade) or the token's expiry. Everything here
 * is owned by the connection's event loop ({@link #context}); verification results are brought back
 * to it before they touch any state.
 *
 * <p>A renewal must keep the identity: the connection's subscriptions were authorized, and their
 * bound filters filled in, with its claims, so a renewed token must carry the same claims but for
 * its times ({@code exp}, {@code iat}, {@code nbf}, {@code jti}); a token for another user, role or
 * tenant would otherwise be served under the old one's authorization. Likewise a connection that
 * subscribed anonymously cannot become someone afterwards: it reconnects with its token instead.
 */
final class SessionAuth {
  private final Authentication auth;
  private final Context context;
  private final Runnable onUnauthorized; // closes the connection with 1008 "unauthorized"
  private Principal principal;
  private boolean authenticated; // a token was verified for this connection
  private boolean actedAnonymously; // a subscribe was handled before any token
  private long timer = -1; // the deadline or expiry timer, -1 when none
  private boolean closed;

  SessionAuth(Authentication auth, Principal fromUpgrade, Runnable onUnauthorized) {
    this.auth = auth;
    this.context = Objects.requireNonNull(Vertx.currentContext(), "not on an event loop");
    this.onUnauthorized = onUnauthorized;
    if (fromUpgrade != null) {
      principal = fromUpgrade;
      authenticated = true;
      scheduleExpiry();
    } else {
      principal = Principal.anonymous();
      if (auth.tokenRequired()) schedule(auth.authTimeout());
    }
  }

  Principal principal() {
    return principal;
  }

  /** Whether requests other than {@code auth} and {@code ping} may be served now. */
  boolean mayAct() {
    return authenticated || !auth.tokenRequired();
  }

  /** Called for each subscribe served: see the class comment. */
  void acted() {
    if (!authenticated) actedAnonymously = true;
  }

  /**
   * Verifies a token and, when it is acceptable, makes it this connection's. Completes on the
   * connection's event loop with the new principal, or fails with a {@link TokenException} whose
   * message the client may see.
   */
  Future<Principal> authenticate(String token) {
    if (!auth.tokensOn()) {
      return Future.failedFuture(new TokenException("this server does not use tokens"));
    }
    assert Vertx.currentContext() == context : "not on the connection's event loop";
    Promise<Principal> done = Promise.promise();
    auth.verifyHere(token).onComplete(r -> decide(r, done));
    return done.future();
  }

  private void decide(AsyncResult<Principal> verified, Promise<Principal> done) {
    if (verified.failed()) {
      done.fail(verified.cause());
      return;
    }
    Principal fresh = verified.result();
    if (closed) {
      done.fail(new TokenException("connection closed"));
    } else if (authenticated && !sameIdentity(principal, fresh)) {
      done.fail(
          new TokenException(
              "a renewed token must have the same claims (but for its times) as the"
                  + " connection's: reconnect with a token for a different identity"));
    } else if (!authenticated && actedAnonymously) {
      done.fail(
          new TokenException(
              "this connection already subscribed without a token: reconnect with the token"));
    } else {
      principal = fresh;
      authenticated = true;
      scheduleExpiry();
      done.complete(fresh);
    }
  }

  private static final java.util.Set<String> TIMES = java.util.Set.of("exp", "iat", "nbf", "jti");

  private static boolean sameIdentity(Principal a, Principal b) {
    return Objects.equals(a.role(), b.role()) && Objects.equals(identity(a), identity(b));
  }

  private static java.util.Map<String, Object> identity(Principal p) {
    java.util.Map<String, Object> claims = new java.util.HashMap<>(p.claims());
    claims.keySet().removeAll(TIMES);
    return claims;
  }

  /** The connection closed: no timer may fire for it. */
  void close() {
    closed = true;
    cancel();
  }

  private void scheduleExpiry() {
    Instant expires = principal.expiresAt();
    if (expires == null) {
      cancel();
      return;
    }
    // The verifier accepts a token until exp plus the leeway; the connection lives as long.
    Instant end = expires.plus(auth.verifier().leeway());
    schedule(Duration.between(Instant.now(), end));
  }

  private void schedule(Duration delay) {
    cancel();
    long ms = Math.max(1, delay.toMillis());
    Vertx vertx = context.owner();
    timer =
        vertx.setTimer(
            ms,
            id -> {
              if (id != timer || closed) return;
              timer = -1;
              onUnauthorized.run();
            });
  }

  private void cancel() {
    if (timer != -1) {
      context.owner().cancelTimer(timer);
      timer = -1;
    }
  }
}
