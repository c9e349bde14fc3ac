package dev.plank;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.api.ItemsApi;
import dev.plank.capture.Backoff;
import dev.plank.capture.ChangeLog;
import dev.plank.capture.ChangeSource;
import dev.plank.capture.notify.TriggerSource;
import dev.plank.config.DatabaseUrl;
import dev.plank.config.Settings;
import dev.plank.db.Catalog;
import dev.plank.db.EmbeddedDatabase;
import dev.plank.db.SchemaInstaller;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import dev.plank.hub.Hub;
import dev.plank.metrics.PlankMetrics;
import dev.plank.web.WebServer;
import dev.plank.ws.WebSocketEndpoint;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Plank node: wires configuration, database, listener, hub and web server together, and takes
 * them down again in the reverse order.
 */
public final class Plank implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Plank.class);

  private final Settings settings;
  private final EmbeddedDatabase embedded;
  private final DatabaseUrl database;
  private final Vertx vertx;
  private final PlankMetrics metrics = new PlankMetrics();
  private final Pool pool;
  private final ChangeLog changeLog;
  private final Hub hub;
  private final ChangeSource capture;
  private final WebSocketEndpoint webSocket;
  private final WebServer.Parts webParts;
  private final Promise<Void> databaseReady = Promise.promise();
  private volatile boolean closing;
  private volatile boolean pruning; // one prune at a time from this node's timer

  private Plank(Settings settings) {
    this.settings = settings;
    this.embedded =
        settings.databaseUrl() == null ? EmbeddedDatabase.start(settings.dataDir()) : null;
    this.database = embedded != null ? embedded.url() : settings.databaseUrl();
    // Netty's epoll transport costs about 7% less CPU per delivery than NIO (fanout bench).
    // One event loop per core, not Vert.x's two: the hub then shares a loop with a share of the
    // sessions and fewer threads compete for the cores (fanout to 1,000 clients on 2 cores: p50
    // -20%). The price: a long task on the hub's loop delays every change.
    int cores = Runtime.getRuntime().availableProcessors();
    this.vertx =
        Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(cores));
    log.debug("Network transport: {}", vertx.isNativeTransportEnabled() ? "epoll" : "NIO");
    ObjectMapper json = jsonMapper();
    this.pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(settings.poolSize()))
            .connectingTo(database.connectOptions().addProperty("application_name", "plank"))
            .using(vertx)
            .build();
    // A context of its own: the hub and the listener share one event loop and need no locks.
    this.changeLog = new ChangeLog(pool, json);
    this.hub =
        new Hub(
            vertx.getOrCreateContext(),
            json,
            metrics,
            settings.maxSubscriptions(),
            changeLog,
            // Replays and snapshots leave half of the pool to REST and the listener's reads.
            Math.max(1, settings.poolSize() / 2));
    this.capture =
        new TriggerSource(
            vertx,
            hub.context(),
            new PgConnectOptions(database.connectOptions())
                .addProperty("application_name", "plank-listener"),
            pool,
            changeLog,
            hub,
            metrics,
            json,
            new Backoff(100, 5_000));
    this.webSocket =
        new WebSocketEndpoint(
            hub, json, metrics, settings.maxFrameBytes(), settings.maxQueueBytes());
    ItemsApi items = new ItemsApi(pool, json);
    this.webParts =
        new WebServer.Parts(
            settings, items, webSocket, metrics, capture::isLive, this::checkDatabase);
  }

  /**
   * Starts a node. The returned future completes once HTTP is listening; the database may still be
   * unreachable then, which {@link #databaseReady()} and {@code /ready} report.
   */
  public static Future<Plank> start(Settings settings) {
    Plank plank = new Plank(settings);
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    return plank
        .vertx
        .deployVerticle(
            () -> new WebServer(plank.webParts), new DeploymentOptions().setInstances(instances))
        .map(
            id -> {
              plank.webSocket.startPings(plank.vertx, settings.pingInterval());
              plank.connectDatabase(new Backoff(200, 10_000));
              return plank;
            })
        .recover(err -> plank.closeAsync().transform(v -> Future.failedFuture(err)));
  }

  /** Completes once the schema is in place and the listener is live; fails on a fatal error. */
  public Future<Void> databaseReady() {
    return databaseReady.future();
  }

  public Settings settings() {
    return settings;
  }

  public DatabaseUrl database() {
    return database;
  }

  public String describeDatabase() {
    return embedded != null ? "embedded PostgreSQL at " + database.redacted() : database.redacted();
  }

  private void connectDatabase(Backoff backoff) {
    List<TableRef> tables = settings.tables().stream().map(TableRef::parse).toList();
    Future<List<TableInfo>> described =
        settings.initOnStart()
            ? SchemaInstaller.install(pool, tables)
            : Catalog.describe(pool, tables);
    described
        .onSuccess(
            infos -> {
              hub.tablesReady(infos);
              capture.start().onComplete(databaseReady);
              vertx.setPeriodic(settings.pruneInterval().toMillis(), t -> prune());
            })
        .onFailure(
            err -> {
              if (closing) return;
              if (isFatal(err)) {
                databaseReady.tryFail(err);
                return;
              }
              if (backoff.attempts() == 0) {
                log.warn(
                    "Database {} unreachable ({}); retrying with back-off",
                    database,
                    err.getMessage());
              }
              vertx.setTimer(backoff.next(), t -> connectDatabase(backoff));
            });
  }

  /** Connection problems are worth retrying; a wrong table name or password is not. */
  private static boolean isFatal(Throwable err) {
    if (err instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      return !state.startsWith("08") && !state.startsWith("57P");
    }
    return !(err instanceof java.io.IOException)
        && !(err instanceof io.vertx.core.VertxException)
        && !(err.getCause() instanceof java.io.IOException);
  }

  /** Keeps the change log within its retention; one node at a time does the work. */
  private void prune() {
    if (closing || pruning) return;
    pruning = true;
    changeLog
        .prune(settings.logRetention(), settings.logMaxRows())
        .onComplete(
            r -> {
              pruning = false;
              if (r.failed()) {
                log.warn("Pruning the change log failed: {}", r.cause().getMessage());
              } else if (r.result() > 0) {
                metrics.changesPruned(r.result());
                log.info("Pruned {} changes from the log", r.result());
              }
            });
  }

  private Future<Void> checkDatabase() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  /** Closes WebSockets with 1001, then the listener, the pool and the embedded database. */
  public Future<Void> closeAsync() {
    closing = true;
    Future<Void> goodbyes = webSocket.closeAll((short) 1001, "server shutting down");
    return Future.any(goodbyes, vertx.timer(1_000))
        .transform(v -> capture.close())
        .transform(v -> pool.close())
        .transform(v -> vertx.close())
        .onComplete(
            v -> {
              metrics.close();
              if (embedded != null) embedded.close();
            });
  }

  @Override
  public void close() {
    try {
      closeAsync().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Shutdown did not finish cleanly: {}", e.getMessage());
    }
  }

  static ObjectMapper jsonMapper() {
    ObjectMapper json = new ObjectMapper();
    // Client frames are untrusted: bound nesting and number sizes so that no frame can exhaust
    // the stack or the CPU.
    json.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(64).maxNumberLength(100).build());
    return json;
  }
}
