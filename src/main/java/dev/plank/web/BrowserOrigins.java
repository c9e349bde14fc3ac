package dev.plank.web;

import dev.plank.api.Problem;
import dev.plank.config.WebSettings;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which web pages may use Plank from a browser: WebSocket upgrades and REST calls that carry an
 * {@code Origin} are refused (403) unless it is the server's own origin or a listed one.
 *
 * <p>Why only browsers: a browser attaches whatever ambient authority the user has (a loopback
 * address, a private network, cookies) to requests made by any page, and says which page in {@code
 * Origin}. Other clients send no {@code Origin}, carry their credentials themselves (a token), and
 * could forge the header anyway; so a request without {@code Origin} is let through to
 * authentication. Immutable.
 *
 * @param listed normalised origins allowed besides the server's own; {@code ["*"]} for any
 * @param tls whether this server speaks HTTPS, which decides its own origin's scheme
 * @param clientAddress for the log line about a refusal
 */
record BrowserOrigins(List<String> listed, boolean tls, ClientAddress clientAddress) {
  private static final Logger log = LoggerFactory.getLogger(BrowserOrigins.class);
  static final String METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
  static final String HEADERS = "Authorization, Content-Type";
  static final String PREFLIGHT_MAX_AGE = "600";

  BrowserOrigins {
    listed = List.copyOf(listed);
  }

  /** Whether a browser page from {@code origin} may use this server through {@code request}. */
  boolean allows(String origin, HttpServerRequest request) {
    if (listed.contains("*")) return true;
    String normalized = WebSettings.normalizeOrigin(origin);
    if (normalized == null) return false; // "null" (sandboxed frames, file:), garbage
    if (listed.contains(normalized)) return true;
    String host = request.getHeader("Host");
    if (host == null) return false;
    // The server's own pages: the request's Host with our scheme. Without TLS of our own, a proxy
    // in front may terminate it, so the page's origin may also be https.
    return normalized.equals(WebSettings.normalizeOrigin("https://" + host.strip()))
        || (!tls && normalized.equals(WebSettings.normalizeOrigin("http://" + host.strip())));
  }

  /** Before a WebSocket upgrade: a foreign page gets 403 and no 101. */
  void guardUpgrade(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    if (origin == null || allows(origin, ctx.request())) {
      ctx.next();
      return;
    }
    log.debug(
        "Refused a WebSocket upgrade from {}: origin not allowed", clientAddress.of(ctx.request()));
    Problem.send(ctx, 403, "pages from this origin may not open WebSockets here");
  }

  /**
   * CORS for {@code /api/*}: an allowed origin gets its own origin back in {@code
   * Access-Control-Allow-Origin} (never {@code *}, so nothing leaks to a page that is not listed),
   * and a preflight is answered here; a foreign origin gets 403.
   */
  void cors(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    // The answer depends on Origin: caches must not hand one origin's answer to another.
    response.headers().add("Vary", "Origin");
    String origin = request.getHeader("Origin");
    if (origin == null) {
      ctx.next();
      return;
    }
    if (!allows(origin, request)) {
      Problem.send(ctx, 403, "pages from this origin may not call this API");
      return;
    }
    response.putHeader("Access-Control-Allow-Origin", origin);
    response.putHeader("Access-Control-Expose-Headers", "Location");
    if (HttpMethod.OPTIONS.equals(request.method())
        && request.getHeader("Access-Control-Request-Method") != null) {
      response
          .setStatusCode(204)
          .putHeader("Access-Control-Allow-Methods", METHODS)
          .putHeader("Access-Control-Allow-Headers", HEADERS)
          .putHeader("Access-Control-Max-Age", PREFLIGHT_MAX_AGE)
          .end();
      return;
    }
    ctx.next();
  }
}
