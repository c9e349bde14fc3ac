package dev.plank.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * W connections, each committing single-row changes back to back (one statement in flight per
 * connection, so each commit's latency is its own) for a fixed time: the commit rate a table
 * sustains and its commit latency. The first {@code warmup} seconds are run but not counted.
 */
final class CommitLoop {
  /** What one loop measured. */
  record Result(
      Table table,
      int writers,
      long commits,
      double seconds,
      Histogram latency,
      CpuMeter.Usage cpu) {
    double commitsPerSecond() {
      return seconds <= 0 ? 0 : commits / seconds;
    }

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("table", table.toString());
      m.put("writers", writers);
      m.put("commits", commits);
      m.put("seconds", Fmt.json(seconds));
      m.put("commits_per_second", Fmt.json(commitsPerSecond()));
      m.put("latency", LatencyRecorder.summary(latency));
      m.put("cpu", cpu.toJson());
      m.put(
          "postgres_cpu_ms_per_commit",
          Fmt.json(commits == 0 ? Double.NaN : cpu.postgres() * 1000 / commits));
      return m;
    }
  }

  private CommitLoop() {}

  /**
   * Runs the loop on {@code table}; UPDATEs pick random rows among {@code ids} (which must exist),
   * INSERTs add rows, in the proportion {@code updateRatio}.
   */
  static Result run(
      Bench bench,
      Table table,
      int writers,
      double seconds,
      double warmup,
      double updateRatio,
      long[] ids)
      throws InterruptedException {
    String insert = "INSERT INTO " + table.sql() + " (name, value) VALUES ($1, $2)";
    String update =
        "UPDATE "
            + table.sql()
            + " SET value = coalesce(value, 0) + 1, updated_at = now()"
            + " WHERE id = $1";
    LatencyRecorder latency = new LatencyRecorder();
    LongAdder commits = new LongAdder();

    List<Writer> loops = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      Writer loop = new Writer(bench, w, insert, update, updateRatio, ids, latency, commits);
      Bench.await(loop.connect(), 30, "connecting writer " + w);
      loops.add(loop);
    }
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmup * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    List<Future<Void>> done = new ArrayList<>();
    for (Writer loop : loops) done.add(loop.start(measureFrom, end));

    Thread.sleep(Math.max(0, (measureFrom - System.nanoTime()) / 1_000_000));
    CpuMeter cpu = bench.cpuMeter();
    Bench.waitUntil(
        () -> System.nanoTime() >= end,
        Long.MAX_VALUE,
        () -> {
          Histogram h = latency.interval();
          bench.progress.line(
              "  %s, %d writer(s): %d commits/s, p50 %s p99 %s ms (last 1s)",
              table,
              writers,
              h.getTotalCount(),
              Fmt.ms(LatencyRecorder.ms(h, 50)),
              Fmt.ms(LatencyRecorder.ms(h, 99)));
        });
    CpuMeter.Usage usage = cpu.read();
    Bench.await(Future.join(done), 60, "finishing the writers");
    for (Writer loop : loops) Bench.await(loop.close(), 10, "closing a writer");
    return new Result(
        table, writers, commits.sum(), (end - measureFrom) / 1e9, latency.total(), usage);
  }

  /** One connection's loop; all its state lives on its own context. */
  private static final class Writer {
    private final Bench bench;
    private final Context context;
    private final String insert;
    private final String update;
    private final double updateRatio;
    private final long[] ids;
    private final LatencyRecorder latency;
    private final LongAdder commits;
    private final SplittableRandom random;
    private final String name;
    private PgConnection conn;
    private int n;

    Writer(
        Bench bench,
        int index,
        String insert,
        String update,
        double updateRatio,
        long[] ids,
        LatencyRecorder latency,
        LongAdder commits) {
      this.bench = bench;
      this.context = bench.vertx.getOrCreateContext();
      this.insert = insert;
      this.update = update;
      this.updateRatio = updateRatio;
      this.ids = ids;
      this.latency = latency;
      this.commits = commits;
      this.random = new SplittableRandom(index);
      this.name = "capture:" + index;
    }

    Future<Void> connect() {
      Promise<Void> ready = Promise.promise();
      context.runOnContext(
          v ->
              PgConnection.connect(bench.vertx, bench.pg)
                  .onSuccess(c -> conn = c)
                  .<Void>mapEmpty()
                  .onComplete(ready));
      return ready.future();
    }

    Future<Void> start(long measureFrom, long end) {
      Promise<Void> done = Promise.promise();
      context.runOnContext(v -> next(measureFrom, end, done));
      return done.future();
    }

    private void next(long measureFrom, long end, Promise<Void> done) {
      long sent = System.nanoTime();
      if (sent >= end) {
        done.complete();
        return;
      }
      Future<RowSet<Row>> result =
          ids.length > 0 && random.nextDouble() < updateRatio
              ? conn.preparedQuery(update).execute(Tuple.of(ids[random.nextInt(ids.length)]))
              : conn.preparedQuery(insert).execute(Tuple.of(name, n++ % 1000));
      result.onComplete(
          ar -> {
            long ack = System.nanoTime();
            if (ar.failed()) {
              done.tryFail(ar.cause()); // a failing statement would fail again: stop
              return;
            }
            if (sent >= measureFrom && ack <= end) {
              commits.increment();
              latency.record(ack - sent);
            }
            next(measureFrom, end, done);
          });
    }

    Future<Void> close() {
      Promise<Void> closed = Promise.promise();
      context.runOnContext(v -> conn.close().onComplete(closed));
      return closed.future();
    }
  }
}
