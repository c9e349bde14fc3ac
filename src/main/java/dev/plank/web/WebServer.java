package dev.plank.web;

import dev.plank.api.ApiDocs;
import dev.plank.api.ItemsApi;
import dev.plank.api.Problem;
import dev.plank.auth.Authentication;
import dev.plank.auth.BearerToken;
import dev.plank.auth.Principal;
import dev.plank.auth.RestAuthHandler;
import dev.plank.auth.TokenException;
import dev.plank.config.Settings;
import dev.plank.metrics.PlankMetrics;
import dev.plank.ws.WebSocketEndpoint;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP server instance: the WebSocket paths ({@code /ws}), the REST API, docs, health,
 * readiness, metrics and the dashboard. Deployed once per event loop; Vert.x spreads connections
 * across the instances.
 */
public final class WebServer extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(WebServer.class);
  private static final long READY_TIMEOUT_MS = 2_000;

  /** What the server needs from the rest of the node. */
  public record Parts(
      Settings settings,
      ItemsApi items,
      WebSocketEndpoint webSocket,
      PlankMetrics metrics,
      BooleanSupplier listenerLive,
      Supplier<Future<Void>> databaseCheck,
      Authentication auth) {}

  private final Parts parts;
  private HttpServer server;

  public WebServer(Parts parts) {
    this.parts = parts;
  }

  @Override
  public Future<?> start() {
    Settings settings = parts.settings();
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(settings.host())
            .setPort(settings.port())
            // Netty's own per-frame bound sits above ours, so that the session sees an over-long
            // message and closes it with 1009 instead of Netty dropping the connection.
            .setMaxWebSocketFrameSize(settings.maxFrameBytes() * 4)
            .setMaxWebSocketMessageSize(settings.maxFrameBytes() * 4)
            // A peer we close for silence or slowness will not answer the close handshake; free
            // its socket after 2 s rather than Vert.x's default 10.
            .setWebSocketClosingTimeout(2)
            // One encoded frame is shared by every subscriber; per-connection deflate would undo
            // that (and its contexts cost memory per connection), so it is not offered.
            .setPerMessageWebSocketCompressionSupported(false)
            .setPerFrameWebSocketCompressionSupported(false)
            .setCompressionSupported(true);
    server = vertx.createHttpServer(options).requestHandler(router());
    return server.listen();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private Router router() {
    Router router = Router.router(vertx);
    for (String path : parts.webSocket().paths()) {
      router.get(path).handler(ctx -> upgrade(ctx, path));
    }
    router.get("/health").handler(ctx -> json(ctx, 200, "{\"status\":\"up\"}"));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(this::metrics);
    // Before the API: every REST request below carries its Principal (see Principals.of).
    router.route().handler(new RestAuthHandler(parts.auth()));
    parts.items().mount(router);
    ApiDocs.mount(router);
    Dashboard.mount(router);
    router
        .route()
        .last()
        .handler(ctx -> Problem.send(ctx, 404, "no such resource: " + ctx.normalizedPath()));
    router.route().failureHandler(this::failure);
    return router;
  }

  /**
   * Upgrades to a WebSocket. A token on the upgrade (header or {@code token} parameter) is verified
   * first, and a bad one refused with 401; without one the connection opens and the protocol asks
   * for an {@code auth} message when it needs one. The request's URI is never logged: it may hold a
   * token.
   */
  private void upgrade(RoutingContext ctx, String path) {
    if (!ctx.request().canUpgradeToWebSocket()) {
      Problem.send(ctx, 400, path + " expects a WebSocket upgrade request");
      return;
    }
    Authentication auth = parts.auth();
    if (!auth.tokensOn()) {
      openWebSocket(ctx, path, null);
      return;
    }
    String token;
    try {
      token = BearerToken.of(ctx.request());
    } catch (TokenException e) {
      unauthorized(ctx, e.getMessage());
      return;
    }
    if (token == null) {
      openWebSocket(ctx, path, null);
      return;
    }
    Context context = vertx.getOrCreateContext();
    ctx.request().pause();
    auth.verifier()
        .verify(token)
        .onComplete(
            r -> {
              Runnable then =
                  () -> {
                    if (r.succeeded()) openWebSocket(ctx, path, r.result());
                    else unauthorized(ctx, "invalid token: " + r.cause().getMessage());
                  };
              // Keys from a JWKS URL arrive on another context; the upgrade belongs to this one.
              if (Vertx.currentContext() == context) then.run();
              else context.runOnContext(v -> then.run());
            });
  }

  private void openWebSocket(RoutingContext ctx, String path, Principal principal) {
    HttpConnection connection = ctx.request().connection();
    ctx.request()
        .toWebSocket()
        .onSuccess(ws -> parts.webSocket().accept(path, ws, connection, principal))
        .onFailure(
            err -> log.debug("WebSocket upgrade failed: {}", err.getClass().getSimpleName()));
  }

  private static void unauthorized(RoutingContext ctx, String detail) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    Problem.send(ctx, 401, detail);
  }

  private void ready(RoutingContext ctx) {
    boolean listener = parts.listenerLive().getAsBoolean();
    parts
        .databaseCheck()
        .get()
        // A probe wants an answer within its own timeout: an unreachable host or an exhausted pool
        // would otherwise hold it for the pool's connect timeout (a minute).
        .timeout(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onComplete(
            db -> {
              boolean ok = listener && db.succeeded();
              String body =
                  "{\"status\":\""
                      + (ok ? "ready" : "not ready")
                      + "\",\"database\":\""
                      + (db.succeeded() ? "up" : "down")
                      + "\",\"listener\":\""
                      + (listener ? "up" : "down")
                      + "\"}";
              json(ctx, ok ? 200 : 503, body);
            });
  }

  private void metrics(RoutingContext ctx) {
    ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .end(parts.metrics().scrape());
  }

  /**
   * Every failed request ends here, the REST API's included: a problem for the client, with nothing
   * internal in it, and for a 5xx the cause in the log.
   */
  private void failure(RoutingContext ctx) {
    int status = ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
    if (status >= 500) {
      log.warn("{} {} failed", ctx.request().method(), ctx.normalizedPath(), ctx.failure());
    }
    Problem.send(
        ctx,
        status,
        status >= 500 ? "Internal server error" : "The request could not be processed");
  }

  private static void json(RoutingContext ctx, int status, String body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
  }

  /** Serves the dashboard: the bundle when one was built, else the sources as they are. */
  static final class Dashboard {
    /** Vert.x knows no type for {@code .ts} and would send application/octet-stream. */
    static final String TYPESCRIPT = "application/typescript; charset=utf-8";

    private Dashboard() {}

    static void mount(Router router) {
      router
          .route("/plank-client.d.ts")
          .method(HttpMethod.GET)
          .method(HttpMethod.HEAD)
          .handler(
              ctx -> {
                // Set as the headers go out, so that it wins over whatever StaticHandler picks.
                ctx.addHeadersEndHandler(
                    v -> {
                      if (ctx.response().getStatusCode() < 300) {
                        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, TYPESCRIPT);
                      }
                    });
                ctx.next();
              });
      ClassLoader loader = WebServer.class.getClassLoader();
      if (loader.getResource("webroot-dist/index.html") != null) {
        files(router, "webroot-dist");
      }
      // The sources; with a bundle, still the fallback for /plank-client.js and its .d.ts.
      files(router, "webroot");
    }

    private static void files(Router router, String root) {
      router
          .route("/*")
          .method(HttpMethod.GET)
          .method(HttpMethod.HEAD)
          .handler(StaticHandler.create(root).setCachingEnabled(false));
    }
  }
}
