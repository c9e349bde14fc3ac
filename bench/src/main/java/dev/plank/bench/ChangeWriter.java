package dev.plank.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The writer of the fanout, connections and polling scenarios: one PostgreSQL connection that
 * commits {@code rate} single-row changes per second (autocommit INSERTs and UPDATEs) for a given
 * time. Change n names its row {@code b:<run>:<n>}, so a receiver can tell which change a message
 * carries without knowing its {@code seq}. The commit acknowledgement time of each change (when its
 * future completes, on this JVM's clock) is kept for latency.
 *
 * <p>Statements are pipelined on the one connection, so a slow commit does not hold back the
 * schedule; each is still its own transaction, and PostgreSQL runs them one after another, so
 * commit order is issue order (which also keeps {@code updated_at} increasing in commit order, as
 * the polling clients' {@code since} cursor needs). All state lives on one Vert.x context.
 */
final class ChangeWriter {
  /** Statements in flight at most; past that the writer falls behind its rate (and says so). */
  private static final int MAX_IN_FLIGHT = 1000;

  private final Vertx vertx;
  private final PgConnectOptions pg;
  private final double rate;
  private final double seconds;
  private final double updateRatio;
  private final int total;
  private final String prefix;
  private final String insertSql;
  private final String updateSql;
  private final Context context;
  private final SplittableRandom random = new SplittableRandom(42);

  private final long[] sendNanos;
  private final AtomicLongArray ackNanos;
  private final AtomicInteger acked = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final LatencyRecorder commitLatency = new LatencyRecorder();

  // Owned by the writer's context.
  private PgConnection conn;
  private long[] ids = new long[1024];
  private int idCount;
  private int issued;
  private int inFlight;
  private int inserts;
  private int updates;
  private boolean writingEnded;
  private Promise<Void> finished; // start()'s
  private long timerId = -1;
  private volatile long startNanos;
  private volatile long lastAckNanos;
  private volatile String lastError;

  ChangeWriter(Vertx vertx, PgConnectOptions pg, Table table, double rate, double seconds) {
    this(vertx, pg, table, rate, seconds, 0.5);
  }

  ChangeWriter(
      Vertx vertx,
      PgConnectOptions pg,
      Table table,
      double rate,
      double seconds,
      double updateRatio) {
    if (rate <= 0 || seconds <= 0) throw new BenchException("rate and duration must be positive");
    this.vertx = vertx;
    this.pg = pg;
    this.rate = rate;
    this.seconds = seconds;
    this.updateRatio = updateRatio;
    this.total = (int) Math.max(1, Math.round(rate * seconds));
    this.prefix = "b:" + Long.toString(System.nanoTime() & 0xFFFFFFFL, 36) + ":";
    this.insertSql = "INSERT INTO " + table.sql() + " (name, value) VALUES ($1, $2) RETURNING id";
    this.updateSql =
        "UPDATE "
            + table.sql()
            + " SET name = $2, value = coalesce(value, 0) + 1, updated_at = now() WHERE id = $1";
    this.sendNanos = new long[total];
    this.ackNanos = new AtomicLongArray(total);
    this.context = vertx.getOrCreateContext();
  }

  /** The name prefix of this run's rows, {@code b:<run>:}; change n is {@code <prefix><n>}. */
  String prefix() {
    return prefix;
  }

  /** Changes the writer will attempt: round(rate x seconds). */
  int total() {
    return total;
  }

  /**
   * Connects and loads the ids of existing rows that UPDATEs may pick (the newest 10,000); with
   * none, the first changes are INSERTs.
   */
  Future<Void> prepare(Table table) {
    Promise<Void> ready = Promise.promise();
    context.runOnContext(
        v ->
            PgConnection.connect(vertx, pg)
                .compose(
                    c -> {
                      conn = c;
                      return c.query(
                              "SELECT id FROM " + table.sql() + " ORDER BY id DESC LIMIT 10000")
                          .execute();
                    })
                .onSuccess(
                    rows -> {
                      for (Row row : rows) addId(row.getLong(0));
                      ready.complete();
                    })
                .onFailure(ready::fail));
    return ready.future();
  }

  /** Starts writing; the future completes once writing has ended and every commit is answered. */
  Future<Void> start() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          finished = done;
          startNanos = System.nanoTime();
          // Short ticks for high rates; a change waits at most one tick past its due time, which
          // does not enter the latency (measured from its commit ack).
          long period = Math.max(1, Math.min(10, (long) (1000 / rate)));
          timerId = vertx.setPeriodic(0, period, id -> tick(done));
        });
    return done.future();
  }

  private void tick(Promise<Void> done) {
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    long due = Math.min(total, (long) (elapsed * rate) + 1);
    while (issued < due && inFlight < MAX_IN_FLIGHT) issue(issued++, done);
    if (issued >= total || elapsed >= seconds) {
      vertx.cancelTimer(timerId);
      writingEnded = true;
      if (inFlight == 0) done.tryComplete();
    }
  }

  /**
   * Ends writing early (abuse writes for as long as its phases last, not a fixed time); the future
   * of {@link #start()} completes once the statements in flight are answered.
   */
  void stop() {
    context.runOnContext(
        v -> {
          if (timerId >= 0) vertx.cancelTimer(timerId);
          writingEnded = true;
          if (inFlight == 0 && finished != null) finished.tryComplete();
        });
  }

  private void issue(int n, Promise<Void> done) {
    boolean update = idCount > 0 && random.nextDouble() < updateRatio;
    String name = prefix + n;
    Future<RowSet<Row>> result;
    inFlight++;
    sendNanos[n] = System.nanoTime();
    if (update) {
      updates++;
      result = conn.preparedQuery(updateSql).execute(Tuple.of(ids[random.nextInt(idCount)], name));
    } else {
      inserts++;
      result = conn.preparedQuery(insertSql).execute(Tuple.of(name, n % 1000));
    }
    result.onComplete(
        ar -> {
          long ack = System.nanoTime();
          inFlight--;
          if (ar.succeeded() && ar.result().rowCount() == 1) {
            ackNanos.set(n, ack);
            lastAckNanos = ack;
            acked.incrementAndGet();
            commitLatency.record(ack - sendNanos[n]);
            if (!update) addId(ar.result().iterator().next().getLong(0));
          } else {
            failed.incrementAndGet();
            lastError =
                ar.failed() ? ar.cause().toString() : "no row changed (row deleted meanwhile?)";
          }
          if (writingEnded && inFlight == 0) done.tryComplete();
        });
  }

  private void addId(long id) {
    if (idCount == ids.length) ids = Arrays.copyOf(ids, idCount * 2);
    ids[idCount++] = id;
  }

  /** When change n's commit was acknowledged (System.nanoTime), or 0 when not (yet). */
  long ackNanos(int n) {
    return n >= 0 && n < total ? ackNanos.get(n) : 0;
  }

  int acked() {
    return acked.get();
  }

  int failed() {
    return failed.get();
  }

  /** Only meaningful once {@link #start()}'s future completed. */
  int inserts() {
    return inserts;
  }

  int updates() {
    return updates;
  }

  String lastError() {
    return lastError;
  }

  long startNanos() {
    return startNanos;
  }

  /** Commits per second achieved, from the start to the last acknowledgement. */
  double achievedRate() {
    long span = lastAckNanos - startNanos;
    return span <= 0 ? 0 : acked.get() / (span / 1e9);
  }

  /** Time from sending each statement to its commit acknowledgement. */
  LatencyRecorder commitLatency() {
    return commitLatency;
  }

  Future<Void> close() {
    Promise<Void> closed = Promise.promise();
    context.runOnContext(
        v -> (conn == null ? Future.<Void>succeededFuture() : conn.close()).onComplete(closed));
    return closed.future();
  }
}
