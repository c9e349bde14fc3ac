package dev.plank.auth;

import io.vertx.ext.web.RoutingContext;

/** Where a REST request's {@link Principal} lives while it is routed. */
public final class Principals {
  /** The {@link RoutingContext} key {@link RestAuthHandler} puts the principal under. */
  public static final String KEY = "plank.principal";

  private Principals() {}

  /** The request's principal; the anonymous one when no token came with it. */
  public static Principal of(RoutingContext ctx) {
    Principal principal = ctx.get(KEY);
    return principal == null ? Principal.anonymous() : principal;
  }
}
