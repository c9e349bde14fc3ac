package dev.plank.auth;

import dev.plank.api.Problem;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Runs before the REST routes: verifies the request's token and puts its {@link Principal} under
 * {@link Principals#KEY}. A bad token is 401; no token is the anonymous principal when {@link
 * Authentication#anonymousAllowed} says so, else 401. What a principal may do is the policy's
 * business, further down.
 */
public final class RestAuthHandler implements Handler<RoutingContext> {
  private final Authentication auth;
  private final boolean apikey; // Supabase's REST: an apikey header stands in for a bearer token

  public RestAuthHandler(Authentication auth) {
    this(auth, false);
  }

  /** With {@code apikey}, a request without a bearer token may carry it in an apikey header. */
  public RestAuthHandler(Authentication auth, boolean apikey) {
    this.auth = auth;
    this.apikey = apikey;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (!auth.tokensOn()) {
      ctx.next();
      return;
    }
    String token;
    try {
      token = BearerToken.of(ctx.request());
      String key = apikey ? ctx.request().getHeader("apikey") : null;
      if (token == null && key != null && !key.isBlank()) token = key.strip();
    } catch (TokenException e) {
      unauthorized(ctx, e.getMessage());
      return;
    }
    if (token == null) {
      if (auth.anonymousAllowed()) ctx.next();
      else unauthorized(ctx, "a token is required (Authorization: Bearer <token>)");
      return;
    }
    ctx.request().pause();
    auth.verifyHere(token)
        .onComplete(
            r -> {
              ctx.request().resume();
              if (r.succeeded()) {
                ctx.put(Principals.KEY, r.result());
                ctx.next();
              } else {
                unauthorized(ctx, "invalid token: " + r.cause().getMessage());
              }
            });
  }

  static void unauthorized(RoutingContext ctx, String detail) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    Problem.send(ctx, 401, detail);
  }
}
