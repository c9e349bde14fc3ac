package dev.plank.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
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

  /** The first (often the only) node's URL: scenarios other than fanout use just this one. */
  final URI url;

  /** Every node's URL (fanout spreads its clients over them). */
  final List<URI> urls;

  final Table table;
  final PgConnectOptions pg;

  /** The first node. */
  final PlankServer server;

  /** Every node, in the order of {@link #urls}: their CPU is summed. */
  final List<PlankServer> servers;

  final Progress progress;

  private Bench(CommonOptions options, String scenario) {
    this.options = options;
    this.urls = List.copyOf(options.urls);
    this.url = urls.get(0);
    if (urls.size() > 1 && !"fanout".equals(scenario)) {
      throw new BenchException("only fanout takes several --url; " + scenario + " takes one");
    }
    List<Long> pids = options.pids == null ? List.of() : options.pids;
    if (!pids.isEmpty() && pids.size() != urls.size()) {
      throw new BenchException(
          pids.size() + " --pid for " + urls.size() + " --url: give one per URL, or none");
    }
    this.table = Table.parse(options.table);
    this.progress = new Progress(scenario);
    try {
      this.pg = PgConnectOptions.fromUri(options.databaseUrl());
    } catch (RuntimeException e) {
      throw new BenchException("bad database URL: " + e.getMessage(), e);
    }
    List<PlankServer> located = new ArrayList<>();
    for (int i = 0; i < urls.size(); i++) {
      located.add(PlankServer.locate(urls.get(i), pids.isEmpty() ? null : pids.get(i)));
    }
    this.servers = List.copyOf(located);
    this.server = servers.get(0);
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
    for (PlankServer s : servers) {
      progress.line(
          "Plank %s, pid %s (%s)", s.url(), s.pid() == null ? "unknown" : s.pid(), s.pidSource());
    }
    progress.line(
        "database %s; table %s; PostgreSQL processes visible: %d",
        redactedDatabaseUrl(), table, ProcessStats.postgresCpu().processes());
    if (serverPids() == null) {
      progress.line(
          "WARNING: a Plank process was not found, so server CPU and RSS are not measured: pass"
              + " --pid");
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

  /** Starts measuring the CPU time of Plank (every node), PostgreSQL and the bench from now. */
  CpuMeter cpuMeter() {
    return CpuMeter.start(serverPids(), pg.getDatabase());
  }

  /** Every node's pid, or null when any is unknown (then server CPU is not measured). */
  List<Long> serverPids() {
    List<Long> pids = new ArrayList<>();
    for (PlankServer s : servers) {
      if (s.pid() == null) return null;
      pids.add(s.pid());
    }
    return pids;
  }

  /** The nodes' VmRSS summed, or -1 when any is unknown. */
  long serversRssBytes() {
    long sum = 0;
    for (PlankServer s : servers) {
      long rss = s.rssBytes();
      if (rss < 0) return -1;
      sum += rss;
    }
    return sum;
  }

  /** A new connection for setup and queries of the scenario's own. */
  PgConnection connect() {
    return await(PgConnection.connect(vertx, pg), 30, "connecting to " + redactedDatabaseUrl());
  }

  /**
   * Fails unless the table has a trigger (trigger capture) or is in a publication (WAL capture):
   * without either, writes reach no subscriber, typically because --database-url names another
   * database than the one Plank captures.
   */
  void requireCaptured(PgConnection sql, Table t) {
    if (triggers(sql, t) == 0 && !published(sql, t)) {
      throw new BenchException(
          t
              + " in "
              + redactedDatabaseUrl()
              + " has no trigger and is in no publication: is it captured (PLANK_TABLES), and is"
              + " this the database Plank runs on (--database-url / DATABASE_URL)?");
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

  /** Whether the table is in a publication, as PLANK_CAPTURE=wal puts its captured tables. */
  static boolean published(PgConnection sql, Table t) {
    return await(
            sql.preparedQuery(
                    "SELECT EXISTS (SELECT 1 FROM pg_publication_rel WHERE prrelid ="
                        + " $1::text::regclass)")
                .execute(Tuple.of(t.sql())),
            30,
            "reading the publications of " + t)
        .iterator()
        .next()
        .getBoolean(0);
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
