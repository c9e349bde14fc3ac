package dev.plank;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.api.ItemsApi;
import dev.plank.auth.Authentication;
import dev.plank.auth.Policy;
import dev.plank.auth.TokenVerifier;
import dev.plank.capture.Backoff;
import dev.plank.capture.ChangeLog;
import dev.plank.capture.ChangeSource;
import dev.plank.capture.LagMonitor;
import dev.plank.capture.LogEntries;
import dev.plank.capture.PruneTask;
import dev.plank.capture.notify.TriggerSource;
import dev.plank.capture.wal.WalLeader;
import dev.plank.capture.wal.WalSource;
import dev.plank.config.ConnectionSettings;
import dev.plank.config.DatabaseUrl;
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
import dev.plank.protocol.phoenix.PhoenixProtocol;
import dev.plank.protocol.v1.V1Protocol;
import dev.plank.pubsub.BroadcastApi;
import dev.plank.pubsub.PubSub;
import dev.plank.web.ClientAddress;
import dev.plank.web.ConnectionGuard;
import dev.plank.web.ManagementServer;
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
import java.time.Duration;
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

  /** The close code that tells a client to reconnect now, to another node (RFC 6455 registry). */
  public static final short SERVICE_RESTART = 1012;

  private final Settings settings;
  private final EmbeddedDatabase embedded;
  private final DatabaseUrl database;
  private final Vertx vertx;
  private final PlankMetrics metrics;
  private final Pool pool;
  private final Hub hub;
  private final ChangeSource capture;
  private final WebSocketEndpoint webSocket;
  private final WebServer.Parts webParts;
  private final PruneTask pruneTask;
  private final LagMonitor lagMonitor;
  private final PubSub pubSub;
  private final Promise<Void> databaseReady = Promise.promise();
  private volatile boolean closing;
  // Set once by closeAsync: /ready fails and WebSocket upgrades are refused from then on.
  private volatile boolean draining;
  private volatile SchemaMigrations.Result schema; // null until installed, or without init

  private Plank(Settings settings) {
    this.settings = settings;
    this.metrics = new PlankMetrics(settings.deploy().nodeId());
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
    Authentication auth = authentication(vertx, settings);
    this.pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(settings.poolSize()))
            .connectingTo(
                poolOptions(database, settings.connections().poolMode())
                    .addProperty("application_name", "plank"))
            .using(vertx)
            .build();
    // A context of its own: the hub and the change source share one event loop and need no locks.
    LogEntries entries = new LogEntries(settings.maxChangeBytes());
    ChangeLog changeLog = new ChangeLog(pool, entries, settings.limits().queryTimeout());
    this.pruneTask =
        new PruneTask(changeLog, settings.logRetention(), settings.logMaxRows(), metrics);
    this.hub =
        new Hub(
            vertx.getOrCreateContext(),
            metrics,
            settings.maxSubscriptions(),
            changeLog,
            // Replays and snapshots leave half of the pool to REST and the listener's reads.
            Math.max(1, settings.poolSize() / 2),
            settings.limits());
    ChangeSource delivery =
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
    // In WAL mode one node's leader appends to the log from the slot; every node delivers from the
    // log as in trigger mode.
    this.capture =
        settings.capture().wal()
            ? new WalSource(
                vertx, pool, delivery, new WalLeader(database, settings.capture(), metrics))
            : delivery;
    this.lagMonitor = new LagMonitor(pool, capture::newestSeq, metrics);
    this.pubSub =
        new PubSub(
            vertx,
            pool,
            listenerUrl().connectOptions().addProperty("application_name", "plank-pubsub"),
            json,
            settings.pubsub(),
            settings.auth().policy(),
            metrics);
    this.webSocket =
        new WebSocketEndpoint(
            Map.of(
                "/ws",
                new V1Protocol(hub, json, auth, settings.auth().policy(), pubSub),
                PhoenixProtocol.PATH,
                new PhoenixProtocol(
                    hub,
                    json,
                    auth,
                    settings.auth().policy(),
                    settings.maxSubscriptions(),
                    pubSub)),
            metrics,
            settings.maxFrameBytes(),
            settings.maxQueueBytes(),
            settings.limits());
    ItemsApi items = new ItemsApi(pool, json, settings.auth().policy());
    this.webParts =
        new WebServer.Parts(
            settings,
            items,
            webSocket,
            metrics,
            capture::isLive,
            this::checkDatabase,
            new ConnectionGuard(settings.limits(), metrics),
            () -> draining,
            // One for the whole node: every event loop reads it, nothing writes it.
            new ClientAddress(settings.web().trustedProxies()),
            auth,
            new BroadcastApi(pubSub, json, settings.auth().policy()));
  }

  /**
   * Tokens when a key is configured; else everyone is anonymous (the secure-defaults rule in {@link
   * dev.plank.config.AuthSettings#checkExposure} decided at start whether that may be served here).
   * With tokens on, a caller without one is refused until the policy allows anonymous access.
   */
  private static Authentication authentication(Vertx vertx, Settings settings) {
    if (!settings.auth().tokensRequired()) return Authentication.off();
    Policy policy = settings.auth().policy();
    TokenVerifier verifier =
        TokenVerifier.create(
            vertx,
            settings.auth(),
            settings.auth().roleClaim(policy == null ? null : policy.roleClaim()));
    // A caller without a token is the policy's anon role, when it has one.
    return new Authentication(
        verifier, policy != null && policy.allowsAnonymous(), settings.auth().authTimeout());
  }

  /**
   * Starts a node. The returned future completes once HTTP is listening; the database may still be
   * unreachable then, which {@link #databaseReady()} and {@code /ready} report.
   */
  public static Future<Plank> start(Settings settings) {
    // Before anything starts: an exposed node without auth must not even start its database.
    settings.auth().checkExposure(settings.host());
    Plank plank = new Plank(settings);
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    // No context: a failed start closes Vert.x, and a future bound to one of its event loops
    // would then never tell the caller (a port in use hung `plank serve`).
    Promise<Plank> started = Promise.promise();
    plank
        .vertx
        .deployVerticle(
            () -> new WebServer(plank.webParts), new DeploymentOptions().setInstances(instances))
        .compose(id -> plank.deployManagement())
        .onSuccess(
            id -> {
              plank.webSocket.startPings(plank.vertx, settings.pingInterval());
              plank.connectDatabase(new Backoff(200, 10_000));
              started.complete(plank);
            })
        .onFailure(err -> plank.closeAsync().onComplete(v -> started.fail(err)));
    return started.future();
  }

  /** The management port's server, when one is configured (one instance is plenty). */
  private Future<?> deployManagement() {
    if (settings.web().managementPort() == 0) return Future.succeededFuture();
    return vertx.deployVerticle(new ManagementServer(webParts));
  }

  /**
   * Completes once the schema is in place, the listener is live and the cluster's presence is
   * loaded; fails on a fatal error.
   */
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
                    settings.connections().poolMode(),
                    tables,
                    settings.demo() || embedded != null,
                    settings.capture())
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
              Future<Void> captured = capture.start();
              Future<Void> presence = pubSub.start();
              captured.compose(v -> presence).onComplete(databaseReady);
              pruneTask.start(vertx, settings.pruneInterval());
              lagMonitor.start(vertx, settings.deploy().lagInterval());
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
  public static PgConnectOptions poolOptions(DatabaseUrl url, ConnectionSettings.PoolMode mode) {
    PgConnectOptions options = url.connectOptions();
    if (mode == ConnectionSettings.PoolMode.TRANSACTION) {
      options.setUseLayer7Proxy(true).setCachePreparedStatements(false).setPipeliningLimit(1);
    }
    return options;
  }

  /** LISTEN needs a session of its own: PLANK_LISTEN_DATABASE_URL when set. */
  private DatabaseUrl listenerUrl() {
    DatabaseUrl listen = settings.connections().listenDatabaseUrl();
    return listen != null && embedded == null ? listen : database;
  }

  private String listenSetting() {
    return settings.connections().listenDatabaseUrl() != null && embedded == null
        ? ConnectionSettings.LISTEN_DATABASE_URL
        : Settings.DATABASE_URL;
  }

  private Future<Void> checkDatabase() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  /**
   * Drains and stops the node: {@code /ready} fails and new WebSocket upgrades are refused at once;
   * after {@code PLANK_DRAIN_DELAY} (for load balancers to notice) every WebSocket is closed with
   * 1012 "service restart", which tells clients to reconnect now, elsewhere, with their cursors;
   * once they are gone, or after {@code PLANK_DRAIN_TIMEOUT}, the change source, the pool and the
   * embedded database are closed.
   */
  public Future<Void> closeAsync() {
    closing = true;
    draining = true;
    pruneTask.stop(vertx);
    lagMonitor.stop(vertx);
    Duration delay = settings.deploy().drainDelay();
    Future<Void> waited =
        delay.isZero() ? Future.succeededFuture() : vertx.timer(delay.toMillis()).mapEmpty();
    Promise<Void> closed = Promise.promise(); // no context: it completes after the loops are gone
    waited
        .transform(
            v -> {
              int open = metrics.connections();
              if (open > 0) {
                log.debug("Draining: closing {} WebSocket connections with 1012", open);
              }
              Future<Void> goodbyes = webSocket.closeAll(SERVICE_RESTART, "service restart");
              return Future.any(goodbyes, vertx.timer(settings.deploy().drainTimeout().toMillis()));
            })
        .transform(v -> pubSub.close())
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

  /** Whether the node is draining: it no longer takes clients, and says so on {@code /ready}. */
  public boolean isDraining() {
    return draining;
  }

  @Override
  public void close() {
    // The drain's own bounds, and time for the rest of the shutdown after them.
    long limit =
        settings.deploy().drainDelay().plus(settings.deploy().drainTimeout()).toMillis() + 10_000;
    try {
      closeAsync().toCompletionStage().toCompletableFuture().get(limit, TimeUnit.MILLISECONDS);
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
