package dev.plank.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.Set;

/** The API's description: {@code /openapi.json} and Swagger UI at {@code /docs}. */
public final class ApiDocs {
  // The webjar's version, read from the webjar itself, so that a version bump in the pom cannot
  // leave /docs pointing at a directory that no longer exists.
  private static final String SWAGGER_UI =
      "META-INF/resources/webjars/swagger-ui/" + webjarVersion("swagger-ui");
  // Only what our page loads: the webjar also ships an index.html and initializer that point at
  // the public Petstore demo, which must not appear under our name.
  private static final Set<String> SWAGGER_FILES =
      Set.of("swagger-ui-bundle.js", "swagger-ui.css", "favicon-16x16.png", "favicon-32x32.png");

  private ApiDocs() {}

  /** Mounts GET /openapi.json and /docs (Swagger UI, pointed at /openapi.json). */
  public static void mount(Router router) {
    // Read once at start-up: small, immutable, and then served without touching the classpath.
    Buffer spec = resource("openapi.json");
    Buffer page = resource("docs/index.html");
    Buffer init = resource("docs/init.js");
    router.get("/openapi.json").handler(ctx -> send(ctx, "application/json", spec));
    for (String path : new String[] {"/docs", "/docs/", "/docs/index.html"}) {
      router.get(path).handler(ctx -> send(ctx, "text/html; charset=utf-8", page));
    }
    // A file rather than an inline script, so the page works under a strict
    // Content-Security-Policy.
    router.get("/docs/init.js").handler(ctx -> send(ctx, "text/javascript; charset=utf-8", init));
    StaticHandler files = StaticHandler.create(SWAGGER_UI).setDirectoryListing(false);
    router
        .get("/docs/*")
        .handler(
            ctx -> {
              String file = ctx.normalizedPath().substring("/docs/".length());
              if (SWAGGER_FILES.contains(file)) {
                ctx.next();
              } else {
                Problem.send(ctx, 404, "no such resource: " + ctx.normalizedPath());
              }
            })
        .handler(files);
  }

  private static void send(RoutingContext ctx, String contentType, Buffer body) {
    ctx.response().putHeader("Content-Type", contentType).end(body);
  }

  private static String webjarVersion(String artifact) {
    String path = "META-INF/maven/org.webjars/" + artifact + "/pom.properties";
    try (InputStream in = ApiDocs.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) throw new IllegalStateException("missing resource " + path);
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Buffer resource(String name) {
    try (InputStream in = ApiDocs.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing resource dev/plank/api/" + name);
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
