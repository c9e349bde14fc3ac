package dev.plank.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.pgclient.PgConnection;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The architecture Plank replaces: C clients each polling {@code GET /api/items?since=<cursor>}
 * every P ms while one writer commits R changes per second. Then the same C, R and D as a fanout
 * run, and the two side by side with their ratios.
 *
 * <p>{@code since} filters on {@code updated_at > since}; each client keeps as its cursor the
 * largest {@code updated_at} it has seen. That is exact here because the one writer commits its
 * changes one after another, each setting {@code updated_at = now()} (its transaction's start), so
 * no change can commit later with an older timestamp. Pages: the API orders by id and caps {@code
 * limit} at 1000, so a full page is followed by the next ({@code offset}) with the same {@code
 * since} before the cursor moves.
 */
@Command(
    name = "polling",
    description =
        "C clients polling GET /api/items?since= every P ms under R changes/s, then fanout with the"
            + " same C, R, D; side by side with ratios.")
final class PollingScenario extends ScenarioCommand {
  /** The API's largest page. */
  private static final int PAGE = 1000;

  private static final String INDEX = "bench_items_updated_at";

  @Option(names = "--clients", defaultValue = "100", description = "C (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(
      names = "--interval",
      defaultValue = "1000",
      description = "P, milliseconds between a client's polls (default: ${DEFAULT-VALUE})")
  long interval;

  @Option(
      names = "--rate",
      defaultValue = "10",
      description = "R, changes committed per second (default: ${DEFAULT-VALUE})")
  double rate;

  @Option(
      names = "--duration",
      defaultValue = "10",
      description = "D, seconds of writing (default: ${DEFAULT-VALUE})")
  double duration;

  @Option(
      names = "--update-ratio",
      defaultValue = "0.5",
      description =
          "share of UPDATEs among the changes, the rest INSERTs (default: ${DEFAULT-VALUE})")
  double updateRatio;

  @Option(
      names = "--index",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "give polling its best case: if no index on items(updated_at) exists, create "
              + INDEX
              + " for the run and drop it afterwards (default: ${DEFAULT-VALUE})")
  boolean index;

  @Option(
      names = "--fanout",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "then run fanout with the same C, R, D and compare (default: ${DEFAULT-VALUE})")
  boolean fanout;

  @Override
  public String name() {
    return "polling";
  }

  @Override
  public Report run(Bench bench) throws Exception {
    if (!bench.table.schema().equals("public") || !bench.table.name().equals("items")) {
      throw new BenchException("polling reads /api/items, so --table must be items");
    }
    Progress progress = bench.progress;
    PgConnection sql = bench.connect();
    boolean createdIndex = false;
    try {
      bench.requireCaptured(sql, bench.table);
      createdIndex = index && ensureIndex(bench, sql);
      long rows =
          Bench.await(sql.query("SELECT count(*) FROM public.items").execute(), 60, "counting")
              .iterator()
              .next()
              .getLong(0);
      Polled polled = poll(bench, sql);

      Report report = new Report(name());
      report.params.put("clients", clients);
      report.params.put("interval_ms", interval);
      report.params.put("rate", rate);
      report.params.put("duration_seconds", duration);
      report.params.put("update_ratio", updateRatio);
      report.params.put("items_rows_at_start", rows);
      report.params.put("updated_at_index_created_for_run", createdIndex);
      report.results.put("polling", polled.json());
      List<Map<String, String>> table = new ArrayList<>();
      table.add(polled.row());
      if (fanout) {
        progress.line("fanout with the same C=%d, R=%.0f, D=%.0f", clients, rate, duration);
        FanoutScenario.Measurement f =
            FanoutScenario.measure(
                bench,
                new FanoutScenario.Params(
                    clients, rate, duration, updateRatio, 5, 2, 100, Wire.PLANK));
        report.results.put("fanout", f.json());
        table.add(fanoutRow(f));
        report.table("polling vs fanout", table);
        Map<String, String> ratios =
            new Report.Row()
                .put(
                    "PG CPU fanout/polling", Fmt.times(f.cpu().postgres(), polled.cpu().postgres()))
                .put(
                    "PG db backends CPU fanout/polling",
                    Fmt.times(f.cpu().postgresDatabase(), polled.cpu().postgresDatabase()))
                .put(
                    "server CPU fanout/polling", Fmt.times(f.cpu().server(), polled.cpu().server()))
                .put(
                    "Plank+PG CPU fanout/polling", Fmt.times(f.cpu().total(), polled.cpu().total()))
                .put(
                    "staleness p50 polling/fanout",
                    Fmt.times(
                        LatencyRecorder.ms(polled.staleness(), 50),
                        LatencyRecorder.ms(f.latency(), 50)))
                .put(
                    "staleness p99 polling/fanout",
                    Fmt.times(
                        LatencyRecorder.ms(polled.staleness(), 99),
                        LatencyRecorder.ms(f.latency(), 99)))
                .cells();
        report.results.put("ratios", ratios);
        report.table("ratios", List.of(ratios));
      } else {
        report.table(null, table);
      }
      return report;
    } finally {
      if (createdIndex) {
        Bench.await(
            sql.query("DROP INDEX IF EXISTS public." + INDEX).execute(), 60, "dropping " + INDEX);
        progress.line("dropped index %s", INDEX);
      }
      sql.close();
    }
  }

  /** Creates the updated_at index unless one exists; returns whether it created it. */
  private static boolean ensureIndex(Bench bench, PgConnection sql) {
    boolean exists =
        Bench.await(
                    sql.query(
                            "SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                                + " AND a.attnum = i.indkey[0]"
                                + " WHERE i.indrelid = 'public.items'::regclass"
                                + " AND a.attname = 'updated_at'")
                        .execute(),
                    30,
                    "looking for an index on updated_at")
                .size()
            > 0;
    if (exists) return false;
    bench.progress.line(
        "creating index %s ON items (updated_at) for the run (it is dropped afterwards; --no-index"
            + " to poll without it)",
        INDEX);
    Bench.await(
        sql.query("CREATE INDEX IF NOT EXISTS " + INDEX + " ON public.items (updated_at)")
            .execute(),
        300,
        "creating " + INDEX);
    Bench.await(sql.query("ANALYZE public.items").execute(), 300, "analyzing items");
    return true;
  }

  private Map<String, String> fanoutRow(FanoutScenario.Measurement f) {
    return new Report.Row()
        .put("mode", "fanout")
        .put("C", clients)
        .put("R/s", Fmt.num(rate, 0))
        .put("P ms", "-")
        .put("HTTP req/s", "-")
        .put("messages/s", Fmt.num(f.deliveriesPerSecond(), 0))
        .put("seen", Fmt.ratio(f.delivered(), f.expected()))
        .put("staleness p50 ms", Fmt.ms(LatencyRecorder.ms(f.latency(), 50)))
        .put("staleness p99 ms", Fmt.ms(LatencyRecorder.ms(f.latency(), 99)))
        .put("PG CPU s", Fmt.num(f.cpu().postgres(), 2))
        .put("PG db backends CPU s", Fmt.num(f.cpu().postgresDatabase(), 2))
        .put("server CPU s", Fmt.num(f.cpu().server(), 2))
        .put("Plank+PG CPU s", Fmt.num(f.cpu().total(), 2))
        .put("bench CPU s", Fmt.num(f.cpu().bench(), 2))
        .cells();
  }

  /** What the polling run measured. */
  record Polled(
      long requests,
      long errors,
      long overdue,
      long rowsReturned,
      long seen,
      long expected,
      Histogram staleness,
      CpuMeter.Usage cpu,
      int clients,
      double rate,
      long interval) {
    double requestsPerSecond() {
      return requests / cpu.wallSeconds();
    }

    Map<String, String> row() {
      return new Report.Row()
          .put("mode", "polling")
          .put("C", clients)
          .put("R/s", Fmt.num(rate, 0))
          .put("P ms", interval)
          .put("HTTP req/s", Fmt.num(requestsPerSecond(), 0))
          .put("messages/s", Fmt.num(rowsReturned / cpu.wallSeconds(), 0))
          .put("seen", Fmt.ratio(seen, expected))
          .put("staleness p50 ms", Fmt.ms(LatencyRecorder.ms(staleness, 50)))
          .put("staleness p99 ms", Fmt.ms(LatencyRecorder.ms(staleness, 99)))
          .put("PG CPU s", Fmt.num(cpu.postgres(), 2))
          .put("PG db backends CPU s", Fmt.num(cpu.postgresDatabase(), 2))
          .put("server CPU s", Fmt.num(cpu.server(), 2))
          .put("Plank+PG CPU s", Fmt.num(cpu.total(), 2))
          .put("bench CPU s", Fmt.num(cpu.bench(), 2))
          .cells();
    }

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("requests", requests);
      m.put("requests_per_second", Fmt.json(requestsPerSecond()));
      m.put("errors", errors);
      m.put("polls_overdue", overdue);
      m.put("rows_returned", rowsReturned);
      m.put("changes_seen", seen);
      m.put("changes_expected", expected);
      m.put("staleness", LatencyRecorder.summary(staleness));
      m.put("cpu", cpu.toJson());
      return m;
    }
  }

  /**
   * Runs the pollers for a warm-up interval, then for the D seconds of writing (the measured CPU
   * window), then one more interval so every client can see the last changes.
   */
  private Polled poll(Bench bench, PgConnection sql) throws Exception {
    Progress progress = bench.progress;
    ChangeWriter writer =
        new ChangeWriter(bench.vertx, bench.pg, bench.table, rate, duration, updateRatio);
    Bench.await(writer.prepare(bench.table), 30, "preparing the writer");
    // The starting cursor in the exact text form the API returns updated_at in.
    String now =
        Bench.await(sql.query("SELECT to_jsonb(now()) #>> '{}'").execute(), 30, "reading now()")
            .iterator()
            .next()
            .getString(0);
    LatencyRecorder staleness = new LatencyRecorder();
    DeliveryClock clock = new DeliveryClock(writer, staleness);
    Pollers pollers = new Pollers(bench, writer, clock, now);
    try {
      pollers.start();
      double warmup = Math.max(2, interval / 1000.0);
      progress.line("%d clients polling every %d ms; warming up %.0f s", clients, interval, warmup);
      Thread.sleep((long) (warmup * 1000));
      pollers.resetCounters();

      CpuMeter cpu = bench.cpuMeter();
      CpuMeter tick = bench.cpuMeter();
      var writing = writer.start();
      Bench.waitUntil(
          writing::isComplete,
          Long.MAX_VALUE,
          () -> {
            clock.settle();
            Histogram h = staleness.interval();
            CpuMeter.Usage u = tick.read();
            tick.reset();
            progress.line(
                "committed %d/%d, %d requests (%d errors, %d overdue); last 1s: staleness p50 %s"
                    + " p99 %s ms; server CPU %s%%, PG CPU %s%%",
                writer.acked(),
                writer.total(),
                pollers.requests.sum(),
                pollers.errors.sum(),
                pollers.overdue.sum(),
                Fmt.ms(LatencyRecorder.ms(h, 50)),
                Fmt.ms(LatencyRecorder.ms(h, 99)),
                Fmt.num(100 * u.server() / u.wallSeconds(), 0),
                Fmt.num(100 * u.postgres() / u.wallSeconds(), 0));
          });
      if (writing.failed()) throw new BenchException("writer failed: " + writing.cause());
      CpuMeter.Usage usage = cpu.read();
      long requests = pollers.requests.sum();
      long rowsReturned = pollers.rows.sum();
      // Let every client poll at least once more after the last commit.
      Thread.sleep(interval + 1000);
      pollers.stop();
      clock.settle();
      long expected = (long) clients * writer.acked();
      progress.line(
          "polling: %d requests, %s changes seen, %d errors",
          requests, Fmt.ratio(pollers.seen.sum(), expected), pollers.errors.sum());
      if (pollers.errors.sum() > 0) progress.line("first error: %s", pollers.firstError);
      Bench.await(writer.close(), 10, "closing the writer");
      return new Polled(
          requests,
          pollers.errors.sum(),
          pollers.overdue.sum(),
          rowsReturned,
          pollers.seen.sum(),
          expected,
          staleness.total(),
          usage,
          clients,
          rate,
          interval);
    } finally {
      pollers.close();
    }
  }

  /** The C polling clients over one HTTP client whose pool has a connection for each. */
  private final class Pollers {
    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder overdue = new LongAdder();
    final LongAdder rows = new LongAdder();
    final LongAdder seen = new LongAdder();
    volatile String firstError;
    private final Bench bench;
    private final Vertx vertx;
    private final HttpClientAgent http;
    private final ChangeWriter writer;
    private final DeliveryClock clock;
    private final String startCursor;
    private final List<Poller> all = new ArrayList<>();
    private volatile boolean stopped;

    Pollers(Bench bench, ChangeWriter writer, DeliveryClock clock, String startCursor) {
      this.bench = bench;
      this.vertx = bench.vertx;
      this.writer = writer;
      this.clock = clock;
      this.startCursor = startCursor;
      this.http =
          vertx.createHttpClient(
              new HttpClientOptions()
                  .setDefaultHost(bench.url.getHost())
                  .setDefaultPort(Bench.port(bench.url))
                  .setKeepAlive(true),
              new PoolOptions().setHttp1MaxSize(clients).setMaxWaitQueueSize(-1));
    }

    /** Starts each client at a random phase of the interval, as independent browsers would. */
    void start() {
      SplittableRandom random = new SplittableRandom(7);
      long now = System.nanoTime();
      for (int i = 0; i < clients; i++) {
        Poller p = new Poller(i, vertx.getOrCreateContext());
        all.add(p);
        long first = now + (long) (random.nextDouble() * interval * 1_000_000L);
        p.context.runOnContext(v -> p.scheduleAt(first));
      }
    }

    void resetCounters() {
      requests.reset();
      errors.reset();
      overdue.reset();
      rows.reset();
    }

    void stop() {
      stopped = true;
    }

    void close() {
      stopped = true;
      try {
        http.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // exiting anyway
      }
    }

    /** One client: its cursor, the changes it has seen; all on its own context. */
    private final class Poller {
      final int index;
      final Context context;
      final BitSet seenChanges = new BitSet();
      String cursor = startCursor;

      Poller(int index, Context context) {
        this.index = index;
        this.context = context;
      }

      void scheduleAt(long atNanos) {
        if (stopped) return;
        long delayMs = Math.max(1, (atNanos - System.nanoTime()) / 1_000_000L);
        vertx.setTimer(delayMs, id -> poll());
      }

      void poll() {
        if (stopped) return;
        long started = System.nanoTime();
        long due = started + interval * 1_000_000L;
        fetch(0, cursor)
            .onComplete(
                ar -> {
                  if (ar.succeeded()) {
                    cursor = ar.result();
                  } else {
                    errors.increment();
                    if (firstError == null) firstError = String.valueOf(ar.cause());
                  }
                  long now = System.nanoTime();
                  if (now > due) overdue.increment(); // the poll took longer than the interval
                  scheduleAt(Math.max(now, due));
                });
      }

      /** Reads every page changed since the cursor; yields the new cursor. */
      Future<String> fetch(int offset, String maxSeen) {
        String uri =
            "/api/items?limit="
                + PAGE
                + "&offset="
                + offset
                + "&since="
                + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
        return http.request(HttpMethod.GET, uri)
            .compose(req -> req.send())
            .compose(
                resp ->
                    resp.statusCode() == 200
                        ? resp.body()
                        : resp.body()
                            .compose(
                                b ->
                                    Future.failedFuture(
                                        "HTTP " + resp.statusCode() + ": " + b.toString())))
            .compose(
                body -> {
                  long at = System.nanoTime();
                  requests.increment();
                  Page page = read(body, at, maxSeen);
                  rows.add(page.rows);
                  return page.rows >= PAGE
                      ? fetch(offset + PAGE, page.maxUpdatedAt)
                      : Future.succeededFuture(page.maxUpdatedAt);
                });
      }

      private record Page(int rows, String maxUpdatedAt) {}

      /**
       * Notes which bench changes the page shows and the largest updated_at in it. Timestamps are
       * compared as text: PostgreSQL writes them with a fixed-width date and time, trailing zeros
       * of the fraction dropped, and one UTC offset for the whole session, and in that form text
       * order is time order ('+' and '-' sort before digits, so "…:05+00:00" < "…:05.1+00:00").
       */
      private Page read(Buffer body, long at, String maxSeen) {
        String text = body.toString(StandardCharsets.UTF_8);
        String max = maxSeen;
        int count = 0;
        int pos = 0;
        String prefix = writer.prefix();
        while (true) {
          int name = FrameScan.valueOf(text, "name", pos);
          if (name < 0) break;
          count++;
          int n = FrameScan.benchId(text, name, prefix);
          if (n >= 0 && !seenChanges.get(n)) {
            seenChanges.set(n);
            seen.increment();
            clock.received(n, at);
          }
          int updated = FrameScan.valueOf(text, "updated_at", name);
          String ts = FrameScan.stringAt(text, updated);
          if (ts != null && ts.compareTo(max) > 0) max = ts;
          pos = updated > 0 ? updated : name + 1;
        }
        return new Page(count, max);
      }
    }
  }
}
