package dev.plank;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.api.ItemsApi;
import dev.plank.capture.Backoff;
import dev.plank.capture.ChangeLog;
import dev.plank.capture.ChangeSource;
import dev.plank.capture.LogEntries;
import dev.plank.capture.PruneTask;
import dev.plank.capture.notify.TriggerSource;
import dev.plank.config.DatabaseUrl;
import dev.plank.config.DeploySettings;
import dev.plank.config.Settings;
import dev.plank.db.Catalog;
import dev.plank.db.DatabaseErrors;
import dev.plank.db.EmbeddedDatabase;
import dev.plank.db.SchemaInstaller;
import dev.plank.db.SchemaMigrations;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import dev.plank.hub.Hub;
import dev.plank.metrics.PlankMetrics;
import dev.plank.protocol.v1.V1Protocol;
import dev.plank.web.WebServer;
import dev.plank.ws.WebSocketEndpoint;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Plank node: wires configuration, database, change source, hub, protocols and web server
 * together, and takes them down again in the reverse order.
 */
public final class Plank implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Plank.class);

  private final Settings settings;
  private final EmbeddedDatabase embedded;
  private final DatabaseUrl database;
  private final Vertx vertx;
  private final PlankMetrics metrics = new PlankMetrics();
  private final Pool pool;
  private final Hub hub;
  private final ChangeSource capture;
  private final WebSocketEndpoint webSocket;
  private final WebServer.Parts webParts;
  private final PruneTask pruneTask;
  private final Promise<Void> databaseReady = Promise.promise();
  private volatile boolean closing;
  private volatile SchemaMigrations.Result schema; // null until installed, or without init

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
    // A throw that no handler caught would otherwise vanish, or reach stderr as a bare trace.
    vertx.exceptionHandler(err -> log.error("Unhandled error on an event loop", err));
    ObjectMapper json = jsonMapper();
    this.pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(settings.poolSize()))
            .connectingTo(
                poolOptions(database, settings.deploy().poolMode())
                    .addProperty("application_name", "plank"))
            .using(vertx)
            .build();
    // A context of its own: the hub and the change source share one event loop and need no locks.
    LogEntries entries = new LogEntries(settings.maxChangeBytes());
    ChangeLog changeLog = new ChangeLog(pool, entries);
    this.pruneTask =
        new PruneTask(changeLog, settings.logRetention(), settings.logMaxRows(), metrics);
    this.hub =
        new Hub(
            vertx.getOrCreateContext(),
            metrics,
            settings.maxSubscriptions(),
            changeLog,
            // Replays and snapshots leave half of the pool to REST and the listener's reads.
            Math.max(1, settings.poolSize() / 2));
    this.capture =
        new TriggerSource(
            vertx,
            hub.context(),
            listenerUrl().connectOptions().addProperty("application_name", "plank-listener"),
            listenSetting(),
            pool,
            changeLog,
            hub,
            metrics,
            entries,
            new Backoff(100, 5_000));
    this.webSocket =
        new WebSocketEndpoint(
            Map.of("/ws", new V1Protocol(hub, json)),
            metrics,
            settings.maxFrameBytes(),
            settings.maxQueueBytes());
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
    // No context: a failed start closes Vert.x, and a future bound to one of its event loops
    // would then never tell the caller (a port in use hung `plank serve`).
    Promise<Plank> started = Promise.promise();
    plank
        .vertx
        .deployVerticle(
            () -> new WebServer(plank.webParts), new DeploymentOptions().setInstances(instances))
        .onSuccess(
            id -> {
              plank.webSocket.startPings(plank.vertx, settings.pingInterval());
              plank.connectDatabase(new Backoff(200, 10_000));
              started.complete(plank);
            })
        .onFailure(err -> plank.closeAsync().onComplete(v -> started.fail(err)));
    return started.future();
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
    String where =
        embedded != null ? "embedded PostgreSQL at " + database.redacted() : database.redacted();
    SchemaMigrations.Result installed = schema;
    return installed == null ? where : where + "; " + installed.brief();
  }

  private void connectDatabase(Backoff backoff) {
    List<TableRef> tables = settings.tables().stream().map(TableRef::parse).toList();
    Future<List<TableInfo>> described =
        settings.initOnStart()
            ? SchemaInstaller.install(
                    vertx,
                    pool,
                    database,
                    settings.deploy().poolMode(),
                    tables,
                    settings.demo() || embedded != null)
                .map(
                    installed -> {
                      schema = installed.schema();
                      return installed.tables();
                    })
            : Catalog.describe(pool, tables);
    described
        .onSuccess(
            infos -> {
              hub.tablesReady(infos);
              capture.start().onComplete(databaseReady);
              pruneTask.start(vertx, settings.pruneInterval());
            })
        .onFailure(
            err -> {
              if (closing) return;
              if (DatabaseErrors.isFatal(err)) {
                databaseReady.tryFail(err);
                return;
              }
              if (backoff.attempts() == 0) {
                log.warn(
                    "Cannot reach the database at {} ({}); retrying until it answers",
                    database,
                    DatabaseErrors.reason(err));
              }
              vertx.setTimer(backoff.next(), t -> connectDatabase(backoff));
            });
  }

  /**
   * The pool's connections. Behind a transaction-mode pooler, consecutive statements of one client
   * connection may run in different server sessions: a named prepared statement would then be
   * missing, so statements stay unnamed and uncached, and one at a time.
   */
  public static PgConnectOptions poolOptions(DatabaseUrl url, DeploySettings.PoolMode mode) {
    PgConnectOptions options = url.connectOptions();
    if (mode == DeploySettings.PoolMode.TRANSACTION) {
      options.setUseLayer7Proxy(true).setCachePreparedStatements(false).setPipeliningLimit(1);
    }
    return options;
  }

  /** LISTEN needs a session of its own: PLANK_LISTEN_DATABASE_URL when set. */
  private DatabaseUrl listenerUrl() {
    DatabaseUrl listen = settings.deploy().listenDatabaseUrl();
    return listen != null && embedded == null ? listen : database;
  }

  private String listenSetting() {
    return settings.deploy().listenDatabaseUrl() != null && embedded == null
        ? DeploySettings.LISTEN_DATABASE_URL
        : Settings.DATABASE_URL;
  }

  private Future<Void> checkDatabase() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  /** Closes WebSockets with 1001, then the change source, the pool and the embedded database. */
  public Future<Void> closeAsync() {
    closing = true;
    pruneTask.stop(vertx);
    Future<Void> goodbyes = webSocket.closeAll((short) 1001, "server shutting down");
    Promise<Void> closed = Promise.promise(); // no context: it completes after the loops are gone
    Future.any(goodbyes, vertx.timer(1_000))
        .transform(v -> capture.close())
        .transform(v -> pool.close())
        .onComplete(
            v ->
                vertx
                    .close()
                    .onComplete(
                        r -> {
                          metrics.close();
                          if (embedded != null) embedded.close();
                          closed.complete();
                        }));
    return closed.future();
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
