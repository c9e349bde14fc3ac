package dev.plank.bench;

import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The write-side cost of capture. Single-row commits per second and their latency on the captured
 * table and on an uncaptured copy of it (no trigger), with 1 and 8 writers; then one statement
 * updating 10,000 rows of the captured table: how long until the last of K subscribers has all of
 * them.
 */
@Command(
    name = "capture",
    description = "Commit rate and latency, captured vs uncaptured table; one bulk 10k-row UPDATE.")
final class CaptureScenario extends ScenarioCommand {
  @Option(
      names = "--writers",
      split = ",",
      defaultValue = "1,8",
      description = "writer counts to measure (default: ${DEFAULT-VALUE})")
  List<Integer> writers;

  @Option(
      names = "--seconds",
      defaultValue = "5",
      description = "measured seconds per table and writer count (default: ${DEFAULT-VALUE})")
  double seconds;

  @Option(
      names = "--warmup",
      defaultValue = "1",
      description = "unmeasured seconds before each (default: ${DEFAULT-VALUE})")
  double warmup;

  @Option(
      names = "--update-ratio",
      defaultValue = "0.5",
      description =
          "share of UPDATEs among the commits, the rest INSERTs (default: ${DEFAULT-VALUE})")
  double updateRatio;

  @Option(
      names = "--bulk-rows",
      defaultValue = "10000",
      description = "rows the bulk UPDATE changes, 0 to skip it (default: ${DEFAULT-VALUE})")
  int bulkRows;

  @Option(
      names = "--subscribers",
      defaultValue = "10",
      description = "K, WebSocket subscribers during the bulk UPDATE (default: ${DEFAULT-VALUE})")
  int subscribers;

  @Option(
      names = "--bulk-timeout",
      defaultValue = "60",
      description = "seconds to wait for the bulk changes to arrive (default: ${DEFAULT-VALUE})")
  double bulkTimeout;

  @Option(
      names = "--keep-plain",
      description =
          "keep the uncaptured copy (bench_<table>_plain) afterwards; by default it is dropped")
  boolean keepPlain;

  @Override
  public String name() {
    return "capture";
  }

  @Override
  public Report run(Bench bench) throws Exception {
    Table captured = bench.table;
    Table plain = captured.plainCopy();
    Progress progress = bench.progress;
    PgConnection sql = bench.connect();
    try {
      setUp(bench, sql, captured, plain);
      long[] capturedIds = ensureRows(sql, captured, Math.max(bulkRows, 1000));
      long[] plainIds = ensureRows(sql, plain, Math.max(bulkRows, 1000));

      Report report = new Report(name());
      report.params.put("writers", writers);
      report.params.put("seconds", seconds);
      report.params.put("warmup_seconds", warmup);
      report.params.put("update_ratio", updateRatio);
      report.params.put("bulk_rows", bulkRows);
      report.params.put("subscribers", subscribers);
      report.params.put("plain_table", plain.toString());
      Report.Row row = new Report.Row();
      List<Object> phases = new ArrayList<>();
      for (int w : writers) {
        progress.line("%d writer(s), captured table %s", w, captured);
        CommitLoop.Result c =
            CommitLoop.run(bench, captured, w, seconds, warmup, updateRatio, capturedIds);
        progress.line("%d writer(s), uncaptured copy %s", w, plain);
        CommitLoop.Result p =
            CommitLoop.run(bench, plain, w, seconds, warmup, updateRatio, plainIds);
        for (CommitLoop.Result r : List.of(c, p)) {
          progress.line(
              "%-24s %d writer(s): %.0f commits/s, p50 %s ms, p99 %s ms, PG CPU %.2f s, server CPU"
                  + " %.2f s",
              r.table(),
              w,
              r.commitsPerSecond(),
              Fmt.ms(LatencyRecorder.ms(r.latency(), 50)),
              Fmt.ms(LatencyRecorder.ms(r.latency(), 99)),
              r.cpu().postgres(),
              r.cpu().server());
          phases.add(r.json());
        }
        String tag = w + "w ";
        row.put(tag + "commits/s captured", Fmt.num(c.commitsPerSecond(), 0))
            .put(tag + "commits/s plain", Fmt.num(p.commitsPerSecond(), 0))
            .put(tag + "ratio", Fmt.times(c.commitsPerSecond(), p.commitsPerSecond()))
            .put(tag + "p50 ms cap/plain", pair(c, p, 50))
            .put(tag + "p99 ms cap/plain", pair(c, p, 99));
      }
      report.results.put("phases", phases);

      if (bulkRows > 0) {
        Map<String, Object> bulk = bulk(bench, sql, captured, plain, capturedIds, plainIds);
        report.results.put("bulk", bulk);
        row.put("bulk rows", bulkRows)
            .put(
                "bulk stmt ms cap/plain",
                Fmt.ms(toDouble(bulk.get("statement_ms")))
                    + "/"
                    + Fmt.ms(toDouble(bulk.get("plain_statement_ms"))))
            .put(
                "bulk last subscriber ms", Fmt.ms(toDouble(bulk.get("all_delivered_after_ack_ms"))))
            .put("bulk delivered", bulk.get("delivered_summary"));
      }
      report.table(null, List.of(row.cells()));
      return report;
    } finally {
      if (!keepPlain) {
        Bench.await(
            sql.query("DROP TABLE IF EXISTS " + plain.sql()).execute(), 60, "dropping " + plain);
      }
      sql.close();
    }
  }

  private static String pair(CommitLoop.Result c, CommitLoop.Result p, double percentile) {
    return Fmt.ms(LatencyRecorder.ms(c.latency(), percentile))
        + "/"
        + Fmt.ms(LatencyRecorder.ms(p.latency(), percentile));
  }

  private static double toDouble(Object v) {
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  /** The uncaptured copy: same columns, defaults, identity and indexes; no trigger. */
  private void setUp(Bench bench, PgConnection sql, Table captured, Table plain) {
    bench.requireCaptured(sql, captured);
    Bench.await(
        sql.query(
                "CREATE TABLE IF NOT EXISTS "
                    + plain.sql()
                    + " (LIKE "
                    + captured.sql()
                    + " INCLUDING ALL)")
            .execute(),
        60,
        "creating " + plain);
    if (Bench.triggers(sql, plain) > 0) {
      throw new BenchException(plain + " has a trigger: it must be an uncaptured copy; drop it");
    }
    bench.progress.line(
        "uncaptured copy %s ready (%s)",
        plain, keepPlain ? "kept afterwards" : "dropped afterwards");
  }

  /** The ids of the first {@code n} rows of the table, inserting rows when it has fewer. */
  private long[] ensureRows(PgConnection sql, Table table, int n) {
    long have =
        Bench.await(sql.query("SELECT count(*) FROM " + table.sql()).execute(), 60, "counting")
            .iterator()
            .next()
            .getLong(0);
    if (have < n) {
      Bench.await(
          sql.preparedQuery(
                  "INSERT INTO "
                      + table.sql()
                      + " (name, value)"
                      + " SELECT 'seed:' || g, g FROM generate_series(1, $1) g")
              .execute(Tuple.of(n - have)),
          300,
          "seeding " + table);
    }
    RowSet<Row> rows =
        Bench.await(
            sql.preparedQuery("SELECT id FROM " + table.sql() + " ORDER BY id LIMIT $1")
                .execute(Tuple.of(n)),
            60,
            "reading ids of " + table);
    long[] ids = new long[rows.size()];
    int i = 0;
    for (Row row : rows) ids[i++] = row.getLong(0);
    return ids;
  }

  /**
   * One {@code UPDATE ... SET value = value + 1 WHERE id = ANY(<the first bulkRows ids>)} on the
   * captured table with K subscribers, timed from the commit acknowledgement until the last
   * subscriber has an UPDATE for every one of those rows; then the same statement on the copy.
   */
  private Map<String, Object> bulk(
      Bench bench,
      PgConnection sql,
      Table captured,
      Table plain,
      long[] capturedIds,
      long[] plainIds)
      throws Exception {
    Progress progress = bench.progress;
    long[] ids = Arrays.copyOf(capturedIds, bulkRows);
    BulkReceipts receipts = new BulkReceipts(subscribers, ids);
    Map<String, Object> m = new LinkedHashMap<>();
    try (Subscribers subs =
        new Subscribers(bench.vertx, bench.url, captured, subscribers, List.of(), receipts)) {
      subs.open(subscribers, 100, progress);
      Thread.sleep(500); // let changes of the seeding (if any) pass before the bulk statement
      receipts.reset();
      String update =
          "UPDATE " + captured.sql() + " SET value = coalesce(value, 0) + 1 WHERE id = ANY($1)";
      CpuMeter cpu = bench.cpuMeter();
      long sent = System.nanoTime();
      long ack =
          Bench.await(
              sql.preparedQuery(update).execute(Tuple.of(boxed(ids))).map(r -> System.nanoTime()),
              300,
              "the bulk UPDATE");
      long expected = (long) subs.subscribed() * ids.length;
      progress.line(
          "bulk UPDATE of %d rows committed in %s ms; waiting for %d subscribers",
          ids.length, Fmt.ms((ack - sent) / 1e6), subs.subscribed());
      boolean complete =
          Bench.waitUntil(
              () -> receipts.complete() >= subs.subscribed(),
              System.nanoTime() + (long) (bulkTimeout * 1e9),
              () ->
                  progress.line(
                      "bulk: delivered %s, %d/%d subscribers complete",
                      Fmt.ratio(receipts.delivered.sum(), expected),
                      receipts.complete(),
                      subs.subscribed()));
      CpuMeter.Usage usage = cpu.read();
      long lastDone = receipts.lastCompletion();
      m.put("rows", ids.length);
      m.put("subscribers", subs.subscribed());
      m.put("statement_ms", Fmt.json((ack - sent) / 1e6));
      m.put("first_delivery_after_ack_ms", Fmt.json((receipts.firstReceipt() - ack) / 1e6));
      m.put("all_delivered_after_ack_ms", complete ? Fmt.json((lastDone - ack) / 1e6) : null);
      m.put("all_delivered_after_send_ms", complete ? Fmt.json((lastDone - sent) / 1e6) : null);
      m.put("delivered", receipts.delivered.sum());
      m.put("expected", expected);
      m.put("delivered_summary", Fmt.ratio(receipts.delivered.sum(), expected));
      m.put("duplicates", receipts.duplicates.sum());
      m.put("cpu", usage.toJson());
      progress.line(
          "bulk: %s delivered; last subscriber complete %s ms after the commit ack",
          Fmt.ratio(receipts.delivered.sum(), expected),
          complete ? Fmt.ms((lastDone - ack) / 1e6) : "never (timeout)");
    }
    long[] plainBulk = Arrays.copyOf(plainIds, bulkRows);
    long sent = System.nanoTime();
    long ack =
        Bench.await(
            sql.preparedQuery(
                    "UPDATE "
                        + plain.sql()
                        + " SET value = coalesce(value, 0) + 1 WHERE id = ANY($1)")
                .execute(Tuple.of(boxed(plainBulk)))
                .map(r -> System.nanoTime()),
            300,
            "the bulk UPDATE on " + plain);
    m.put("plain_statement_ms", Fmt.json((ack - sent) / 1e6));
    progress.line("bulk UPDATE on %s: %s ms", plain, Fmt.ms((ack - sent) / 1e6));
    return m;
  }

  private static Long[] boxed(long[] ids) {
    Long[] boxed = new Long[ids.length];
    for (int i = 0; i < ids.length; i++) boxed[i] = ids[i];
    return boxed;
  }

  /**
   * Counts, per subscriber, UPDATE messages for the bulk rows (identified by {@code data.id}, the
   * first "id" member of a change message) and when each subscriber had them all.
   */
  private static final class BulkReceipts implements Subscribers.Listener {
    private final long[] ids; // sorted
    private final BitSet[] seen;
    private final int[] counts;
    private final AtomicLongArray doneAt;
    private final LongAdder completeCount = new LongAdder();
    private volatile long first;
    final LongAdder delivered = new LongAdder();
    final LongAdder duplicates = new LongAdder();

    BulkReceipts(int clients, long[] ids) {
      this.ids = ids.clone();
      Arrays.sort(this.ids);
      this.seen = new BitSet[clients];
      this.counts = new int[clients];
      this.doneAt = new AtomicLongArray(clients);
      reset();
    }

    /** Forgets everything received so far (changes from before the measured statement). */
    void reset() {
      for (int i = 0; i < seen.length; i++) seen[i] = new BitSet(ids.length);
      Arrays.fill(counts, 0);
      first = 0;
      delivered.reset();
      duplicates.reset();
      completeCount.reset();
    }

    @Override
    public void onMessage(int client, String text, long at) {
      if (!text.startsWith("{\"type\":\"UPDATE\"")) return;
      int i = Arrays.binarySearch(ids, FrameScan.longAt(text, FrameScan.valueOf(text, "id", 0)));
      if (i < 0) return;
      if (seen[client].get(i)) {
        duplicates.increment();
        return;
      }
      seen[client].set(i);
      if (first == 0) first = at;
      delivered.increment();
      if (++counts[client] == ids.length) {
        doneAt.set(client, at);
        completeCount.increment();
      }
    }

    int complete() {
      return completeCount.intValue();
    }

    long firstReceipt() {
      return first;
    }

    long lastCompletion() {
      long max = 0;
      for (int i = 0; i < doneAt.length(); i++) max = Math.max(max, doneAt.get(i));
      return max;
    }
  }
}
