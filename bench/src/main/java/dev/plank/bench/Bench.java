package dev.plank.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * What a scenario runs with: Vert.x, the database, the server under test, the table, progress
 * output. Opened once per run; closing it closes everything the bench opened.
 */
final class Bench implements AutoCloseable {
  final Vertx vertx;
  final CommonOptions options;
  final URI url;
  final Table table;
  final PgConnectOptions pg;
  final PlankServer server;
  final Progress progress;

  private Bench(CommonOptions options, String scenario) {
    this.options = options;
    this.url = options.url;
    this.table = Table.parse(options.table);
    this.progress = new Progress(scenario);
    try {
      this.pg = PgConnectOptions.fromUri(options.databaseUrl());
    } catch (RuntimeException e) {
      throw new BenchException("bad database URL: " + e.getMessage(), e);
    }
    this.server = PlankServer.locate(url, options.pid);
    // One event loop per core (Vert.x defaults to two) and epoll: every cycle the load generator
    // saves is one Plank and PostgreSQL can use on a shared machine.
    this.vertx =
        Vertx.vertx(
            new VertxOptions()
                .setPreferNativeTransport(true)
                .setEventLoopPoolSize(Runtime.getRuntime().availableProcessors()));
  }

  static Bench open(CommonOptions options, String scenario) {
    Bench bench = new Bench(options, scenario);
    bench.describe();
    return bench;
  }

  private void describe() {
    progress.line(
        "Plank %s, pid %s (%s); database %s; table %s; PostgreSQL processes visible: %d",
        url,
        server.pid() == null ? "unknown" : server.pid(),
        server.pidSource(),
        redactedDatabaseUrl(),
        table,
        ProcessStats.postgresCpu().processes());
    if (server.pid() == null) {
      progress.line(
          "WARNING: Plank's process was not found, so its CPU and RSS are not measured: pass --pid");
    }
    if (ProcessStats.postgresCpu().processes() == 0) {
      progress.line(
          "WARNING: no PostgreSQL process visible in /proc: PostgreSQL CPU will read 0 (remote"
              + " or containerised database?)");
    }
  }

  /** The database URL without its password, for output. */
  String redactedDatabaseUrl() {
    return options.databaseUrl().replaceAll("://([^:/@]+):[^@]*@", "://$1:***@");
  }

  /** Starts measuring the CPU time of Plank, PostgreSQL and the bench from now. */
  CpuMeter cpuMeter() {
    return CpuMeter.start(server.pid(), pg.getDatabase());
  }

  /** A new connection for setup and queries of the scenario's own. */
  PgConnection connect() {
    return await(PgConnection.connect(vertx, pg), 30, "connecting to " + redactedDatabaseUrl());
  }

  /**
   * Fails unless the table has a trigger: without one, writes reach no subscriber, typically
   * because --database-url names another database than the one Plank captures.
   */
  void requireCaptured(PgConnection sql, Table t) {
    if (triggers(sql, t) == 0) {
      throw new BenchException(
          t
              + " in "
              + redactedDatabaseUrl()
              + " has no trigger: is it captured (PLANK_TABLES), and is this the database Plank"
              + " runs on (--database-url / DATABASE_URL)?");
    }
  }

  /** {@link #requireCaptured} on a connection of its own, for the scenario's table. */
  void checkCaptured() {
    PgConnection sql = connect();
    try {
      requireCaptured(sql, table);
    } finally {
      sql.close();
    }
  }

  /** User triggers on a table. */
  static int triggers(PgConnection sql, Table t) {
    return await(
            sql.preparedQuery(
                    "SELECT count(*) FROM pg_trigger WHERE tgrelid = $1::text::regclass"
                        + " AND NOT tgisinternal")
                .execute(Tuple.of(t.sql())),
            30,
            "reading the triggers of " + t)
        .iterator()
        .next()
        .getInteger(0);
  }

  /** Waits for a future from the main thread; a failure or timeout becomes a BenchException. */
  static <T> T await(Future<T> future, long seconds, String what) {
    try {
      return future.await(seconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new BenchException(what + ": no answer within " + seconds + " s");
    } catch (BenchException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BenchException(what + ": " + e.getMessage(), e);
    }
  }

  /**
   * Sleeps in short steps until {@code done} holds or {@code deadlineNanos} passes, calling {@code
   * everySecond} about once a second. Returns whether done held.
   */
  static boolean waitUntil(BooleanSupplier done, long deadlineNanos, Runnable everySecond)
      throws InterruptedException {
    long next = System.nanoTime() + 1_000_000_000L;
    while (!done.getAsBoolean()) {
      long now = System.nanoTime();
      if (now >= deadlineNanos) return false;
      if (now >= next) {
        everySecond.run();
        next += 1_000_000_000L;
      }
      Thread.sleep(5);
    }
    return true;
  }

  static int port(URI url) {
    if (url.getPort() > 0) return url.getPort();
    return "https".equals(url.getScheme()) ? 443 : 80;
  }

  @Override
  public void close() {
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // exiting anyway
    }
  }
}
