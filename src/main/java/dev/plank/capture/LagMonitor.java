package dev.plank.capture;

import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures, every interval, how far this node's listener is behind the change log: the committed
 * changes newer than the newest one it has seen, and the age of the oldest of them. Both come from
 * the primary key's index, whatever the log's size. A failed or throwing measurement is logged
 * (once per run of failures) and the next interval tries again; the gauges keep their last value.
 *
 * <p>The timer runs on a Vert.x event loop; {@code measuring} and {@code failing} are only touched
 * there and in the query's completion, which Vert.x runs one after the other.
 */
public final class LagMonitor {
  private static final Logger log = LoggerFactory.getLogger(LagMonitor.class);
  private static final String LAG =
      """
      SELECT (SELECT coalesce(max(seq), 0) FROM plank.changes),
             (SELECT extract(epoch FROM clock_timestamp() - ts)::float8 FROM plank.changes
               WHERE seq > $1 ORDER BY seq LIMIT 1)
      """;

  private final Pool pool;
  private final LongSupplier newestSeen;
  private final PlankMetrics metrics;
  private volatile boolean measuring;
  private volatile boolean failing;
  private volatile boolean stopped;
  private volatile long timer = -1;

  /**
   * @param newestSeen the seq of the newest change the listener has seen, or -1 before it knows
   */
  public LagMonitor(Pool pool, LongSupplier newestSeen, PlankMetrics metrics) {
    this.pool = pool;
    this.newestSeen = newestSeen;
    this.metrics = metrics;
  }

  public void start(Vertx vertx, Duration interval) {
    timer = vertx.setPeriodic(0, interval.toMillis(), t -> measure());
  }

  public void stop(Vertx vertx) {
    stopped = true;
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  void measure() {
    if (stopped || measuring) return;
    long seen = newestSeen.getAsLong();
    if (seen < 0) return; // the listener has not positioned itself yet: nothing to compare
    measuring = true;
    Future<Void> done;
    try {
      done =
          pool.preparedQuery(LAG)
              .execute(Tuple.of(seen))
              .map(
                  rows -> {
                    Row row = rows.iterator().next();
                    long newest = row.getLong(0);
                    Double age = row.getDouble(1);
                    metrics.listenerLag(
                        Math.max(0, newest - seen), age == null ? 0 : Math.max(0, age));
                    return null;
                  });
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    done.onComplete(
        r -> {
          measuring = false;
          if (r.succeeded()) {
            failing = false;
          } else if (!failing) {
            failing = true;
            log.warn("Measuring the listener's lag failed: {}", r.cause().getMessage());
          }
        });
  }
}
