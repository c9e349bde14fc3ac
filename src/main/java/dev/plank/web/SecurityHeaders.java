package dev.plank.web;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

/**
 * Headers that tell browsers to keep Plank's pages to themselves: no scripts, styles or frames from
 * elsewhere, no MIME sniffing, no referrer, and (with TLS) HTTPS only. Set on every response of the
 * router: pages, docs, the API and problems alike. Stateless.
 */
final class SecurityHeaders implements Handler<RoutingContext> {
  /**
   * What the dashboard and Swagger UI need and nothing more: their scripts, styles and fetches come
   * from this origin; both favicons and Swagger UI's icons are {@code data:} images. No inline
   * script or style anywhere ({@code /docs/init.js} is a file for that reason). {@code 'self'} in
   * {@code connect-src} covers this origin's {@code ws:}/{@code wss:} too.
   */
  static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none';"
          + " form-action 'self'; frame-ancestors 'none'";

  /** A year: the usual value once HTTPS is known to work. */
  static final String HSTS = "max-age=31536000";

  private final boolean tls;

  SecurityHeaders(boolean tls) {
    this.tls = tls;
  }

  @Override
  public void handle(RoutingContext ctx) {
    MultiMap headers = ctx.response().headers();
    headers.set("Content-Security-Policy", CSP);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Referrer-Policy", "no-referrer");
    if (tls) headers.set("Strict-Transport-Security", HSTS);
    ctx.next();
  }
}
