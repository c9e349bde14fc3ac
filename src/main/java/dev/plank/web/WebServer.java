package dev.plank.web;

import dev.plank.api.ApiDocs;
import dev.plank.api.ItemsApi;
import dev.plank.api.Problem;
import dev.plank.auth.Authentication;
import dev.plank.auth.Principal;
import dev.plank.auth.RestAuthHandler;
import dev.plank.auth.TokenException;
import dev.plank.config.Settings;
import dev.plank.config.WebSettings;
import dev.plank.metrics.PlankMetrics;
import dev.plank.pubsub.BroadcastApi;
import dev.plank.ws.WebSocketEndpoint;
import io.netty.channel.Channel;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.HashMap;
import java.util.Map;
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
  // How long a client refused for a connection limit should wait; connections free up as others
  // leave, so a few seconds, with the client's own backoff on top.
  private static final String RETRY_AFTER_SECONDS = "5";

  /** What the server needs from the rest of the node. */
  public record Parts(
      Settings settings,
      ItemsApi items,
      WebSocketEndpoint webSocket,
      PlankMetrics metrics,
      BooleanSupplier listenerLive,
      Supplier<Future<Void>> databaseCheck,
      ConnectionGuard guard,
      BooleanSupplier draining,
      ClientAddress clientAddress,
      Authentication auth,
      BroadcastApi broadcast) {}

  private final Parts parts;
  // This instance's connections: each is served on this instance's event loop, which owns the map.
  private final Map<HttpConnection, ConnectionDeadline> deadlines = new HashMap<>();
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
            .setCompressionSupported(true)
            // Without h2c, an HTTP/1 connection is set up as soon as it is accepted, not when
            // its first bytes arrive: a connection that never sends a byte is then counted and
            // gets its header deadline too.
            .setHttp2ClearTextEnabled(false);
    tls(options);
    server =
        vertx.createHttpServer(options).connectionHandler(this::connected).requestHandler(router());
    return server.listen();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  /**
   * A TCP connection was accepted: one over PLANK_MAX_HTTP_CONNECTIONS is closed at once, before it
   * can hold a descriptor; every other one gets its deadlines ({@link ConnectionDeadline}).
   */
  private void connected(HttpConnection connection) {
    if (!parts.guard().acceptHttp()) {
      connection.close();
      return;
    }
    Channel channel = ((ConnectionBase) connection).channel();
    ConnectionDeadline deadline =
        new ConnectionDeadline(channel, parts.settings().limits(), parts.metrics()::limitHit);
    deadlines.put(connection, deadline);
    channel
        .closeFuture()
        .addListener(
            f -> {
              deadlines.remove(connection);
              parts.guard().httpClosed();
            });
    deadline.start();
  }

  private Router router() {
    Router router = Router.router(vertx);
    router
        .route()
        .order(Integer.MIN_VALUE)
        .handler(
            ctx -> {
              ConnectionDeadline deadline = deadlines.get(ctx.request().connection());
              if (deadline != null) {
                deadline.request(ctx.request());
                ctx.addEndHandler(v -> deadline.responseEnded());
              }
              ctx.next();
            });
    browserSafety(router);
    for (String path : parts.webSocket().paths()) {
      router.get(path).handler(ctx -> upgrade(ctx, path));
    }
    Operations operations = operations(parts);
    operations.mountProbes(router);
    if (operations.tokenRequired() || metricsOpenOnMainPort(parts.settings())) {
      operations.mountMetrics(router);
    }
    // Before the API: every REST request below carries its Principal (see Principals.of).
    // Only the API: the dashboard, docs and static files are public pages that ask for nothing.
    router.route("/api/*").handler(new RestAuthHandler(parts.auth()));
    router.route("/realtime/v1/api/*").handler(new RestAuthHandler(parts.auth(), true));
    parts.items().mount(router);
    if (parts.broadcast() != null) parts.broadcast().mount(router);
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
    if (parts.draining().getAsBoolean()) {
      // The client (or its balancer) tries another node; this one is about to stop.
      ctx.response().putHeader("retry-after", "1");
      Problem.send(ctx, 503, "this node is draining: connect to another one");
      return;
    }
    Authentication auth = parts.auth();
    if (!auth.tokensOn()) {
      openWebSocket(ctx, path, null);
      return;
    }
    String token;
    try {
      token = parts.webSocket().token(path, ctx.request());
    } catch (TokenException e) {
      unauthorized(ctx, e.getMessage());
      return;
    }
    if (token == null) {
      openWebSocket(ctx, path, null);
      return;
    }
    ctx.request().pause();
    auth.verifyHere(token)
        .onComplete(
            r -> {
              if (r.succeeded()) openWebSocket(ctx, path, r.result());
              else unauthorized(ctx, "invalid token: " + r.cause().getMessage());
            });
  }

  /** Admits the connection under the connection limits, then completes the upgrade. */
  private void openWebSocket(RoutingContext ctx, String path, Principal principal) {
    if (parts.draining().getAsBoolean()) {
      // The drain began while the token was being verified.
      ctx.request().resume();
      ctx.response().putHeader("retry-after", "1");
      Problem.send(ctx, 503, "this node is draining: connect to another one");
      return;
    }
    String address = parts.clientAddress().of(ctx.request());
    String refused = parts.guard().admitWebSocket(address);
    if (refused != null) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
      Problem.send(ctx, 503, refused);
      return;
    }
    HttpConnection connection = ctx.request().connection();
    ConnectionDeadline deadline = deadlines.get(connection);
    Channel channel = ((ConnectionBase) connection).channel();
    ctx.request()
        .toWebSocket()
        .onSuccess(
            ws -> {
              if (deadline != null) deadline.upgraded();
              channel.closeFuture().addListener(f -> parts.guard().webSocketClosed(address));
              parts
                  .webSocket()
                  .accept(
                      path,
                      ws,
                      connection,
                      principal,
                      address,
                      () -> parts.guard().coolDown(address));
            })
        .onFailure(
            err -> {
              parts.guard().webSocketClosed(address);
              log.debug("WebSocket upgrade failed: {}", err.getClass().getSimpleName());
            });
  }

  private static void unauthorized(RoutingContext ctx, String detail) {
    ctx.request().resume(); // paused while the token was verified; the connection may be reused
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    Problem.send(ctx, 401, detail);
  }

  /**
   * Guards in front of every route (they run in this order): security headers on every response;
   * the Host allow-list (DNS rebinding); CORS for the REST API, answering preflights before any
   * other {@code /api} handler; the Origin allow-list before a WebSocket upgrade.
   */
  private void browserSafety(Router router) {
    Settings settings = parts.settings();
    WebSettings web = settings.web();
    router.route().handler(new SecurityHeaders(web.tls()));
    router.route().handler(HostGuard.of(settings.host(), web.allowedHosts()));
    BrowserOrigins origins =
        new BrowserOrigins(web.allowedOrigins(), web.tls(), parts.clientAddress());
    router.route("/api/*").handler(origins::cors);
    router.route("/realtime/v1/api/*").handler(origins::cors);
    for (String path : parts.webSocket().paths()) {
      router.get(path).handler(origins::guardUpgrade);
    }
  }

  /** HTTPS and WSS on the main port when PEM files are configured. */
  private void tls(HttpServerOptions options) {
    WebSettings web = parts.settings().web();
    if (!web.tls()) return;
    options
        .setSsl(true)
        .setKeyCertOptions(
            new PemKeyCertOptions()
                .setCertPath(web.tlsCert().toString())
                .setKeyPath(web.tlsKey().toString()));
  }

  /**
   * Without a token, /metrics (JVM and traffic internals) stays on the main port only for local
   * development: bound to loopback, without tokens, and with no management port to serve it
   * instead.
   */
  static boolean metricsOpenOnMainPort(Settings settings) {
    return settings.web().managementPort() == 0
        && HostGuard.isLoopback(settings.host())
        && !settings.auth().tokensRequired();
  }

  static Operations operations(Parts parts) {
    return new Operations(
        parts.metrics(),
        parts.listenerLive(),
        parts.draining(),
        parts.databaseCheck(),
        parts.settings().web().metricsToken(),
        parts.settings().capture());
  }

  /**
   * Every failed request ends here, the REST API's included: a problem for the client, with nothing
   * internal in it, and for a 5xx the cause in the log.
   */
  private void failure(RoutingContext ctx) {
    int status = ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
    if (status >= 500) {
      log.warn(
          "{} {} from {} failed",
          ctx.request().method(),
          ctx.normalizedPath(),
          parts.clientAddress().of(ctx.request()),
          ctx.failure());
    }
    Problem.send(
        ctx,
        status,
        status >= 500 ? "Internal server error" : "The request could not be processed");
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
