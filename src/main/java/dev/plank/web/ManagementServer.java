package dev.plank.web;

import dev.plank.api.Problem;
import dev.plank.config.WebSettings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

/**
 * The management port ({@code PLANK_MANAGEMENT_PORT}): /metrics, /health and /ready for Prometheus
 * and probes, bound to an internal address ({@code PLANK_MANAGEMENT_HOST}, default 127.0.0.1) so
 * the public port need not expose /metrics. Plain HTTP; deployed once.
 */
public final class ManagementServer extends VerticleBase {
  private final WebServer.Parts parts;
  private HttpServer server;

  public ManagementServer(WebServer.Parts parts) {
    this.parts = parts;
  }

  @Override
  public Future<?> start() {
    WebSettings web = parts.settings().web();
    Router router = Router.router(vertx);
    router.route().handler(new SecurityHeaders(false));
    router.route().handler(HostGuard.of(web.managementHost(), null));
    Operations operations = WebServer.operations(parts);
    operations.mountProbes(router);
    operations.mountMetrics(router);
    router
        .route()
        .last()
        .handler(ctx -> Problem.send(ctx, 404, "no such resource: " + ctx.normalizedPath()));
    server =
        vertx
            .createHttpServer(
                new HttpServerOptions().setHost(web.managementHost()).setPort(web.managementPort()))
            .requestHandler(router);
    return server.listen();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
