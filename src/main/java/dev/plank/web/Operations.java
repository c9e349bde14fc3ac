package dev.plank.web;

import dev.plank.api.Problem;
import dev.plank.config.CaptureSettings;
import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What operators' probes and Prometheus read: {@code /health}, {@code /ready} and {@code /metrics},
 * on the main port and on the management port. Immutable.
 */
final class Operations {
  private static final long READY_TIMEOUT_MS = 2_000;

  private final PlankMetrics metrics;
  private final BooleanSupplier listenerLive;
  private final BooleanSupplier draining;
  private final Supplier<Future<Void>> databaseCheck;
  private final CaptureSettings capture;

  /** SHA-256 of the metrics token, or null when /metrics needs none. */
  private final byte[] tokenDigest;

  Operations(
      PlankMetrics metrics,
      BooleanSupplier listenerLive,
      BooleanSupplier draining,
      Supplier<Future<Void>> databaseCheck,
      String metricsToken,
      CaptureSettings capture) {
    this.metrics = metrics;
    this.listenerLive = listenerLive;
    this.draining = draining;
    this.databaseCheck = databaseCheck;
    this.capture = capture;
    this.tokenDigest = metricsToken == null ? null : sha256(metricsToken);
  }

  void mountProbes(Router router) {
    router.get("/health").handler(ctx -> json(ctx, 200, "{\"status\":\"up\"}"));
    router.get("/ready").handler(this::ready);
  }

  /**
   * Mounts /metrics: behind the token when one is set, else open. Whoever calls this decides
   * whether an open /metrics belongs on this router at all.
   */
  void mountMetrics(Router router) {
    router.get("/metrics").handler(this::metrics);
  }

  boolean tokenRequired() {
    return tokenDigest != null;
  }

  private void metrics(RoutingContext ctx) {
    if (tokenDigest != null && !presentsToken(ctx)) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"metrics\"");
      Problem.send(ctx, 401, "/metrics needs the metrics token as Authorization: Bearer");
      return;
    }
    ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape());
  }

  /**
   * Compares digests with {@link MessageDigest#isEqual}, which takes the same time wherever the
   * first difference is; the digests also have one length whatever the token's.
   */
  private boolean presentsToken(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || header.length() < 7) return false;
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
    return MessageDigest.isEqual(tokenDigest, sha256(header.substring(7).strip()));
  }

  private void ready(RoutingContext ctx) {
    if (draining.getAsBoolean()) {
      // Out of rotation at once, whatever the database says: the node is going away.
      json(ctx, 503, "{\"status\":\"draining\"}");
      return;
    }
    boolean listener = listenerLive.getAsBoolean();
    databaseCheck
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
                      + "\""
                      + slotDetails()
                      + "}";
              json(ctx, ok ? 200 : 503, body);
            });
  }

  /**
   * WAL mode: the WAL the slot keeps on the database server (-1 until measured) and whether that is
   * above {@code PLANK_SLOT_WARN_MB}. Informational: a growing slot is the database's problem, not
   * a reason to take this node out of rotation.
   */
  private String slotDetails() {
    if (!capture.wal()) return "";
    long retained = metrics.slotRetainedBytes();
    return ",\"slot_retained_bytes\":"
        + retained
        + ",\"slot_above_warn\":"
        + (retained > capture.slotWarnBytes());
  }

  static void json(RoutingContext ctx, int status, String body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
