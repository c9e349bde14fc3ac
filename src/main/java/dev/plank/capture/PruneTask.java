package dev.plank.capture;

import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the change log within its retention, every interval; one prune at a time from this node,
 * and one node at a time (the log's advisory lock). A failed or throwing prune is logged and the
 * next interval tries again.
 */
public final class PruneTask {
  private static final Logger log = LoggerFactory.getLogger(PruneTask.class);

  private final Supplier<Future<Long>> prune; // one batch; answers how many changes it deleted
  private final PlankMetrics metrics;
  private volatile boolean pruning; // set by the timer, cleared when the prune completes
  private volatile boolean stopped; // set by close, from any thread
  private volatile long timer = -1; // set once by start

  public PruneTask(ChangeLog changeLog, Duration retention, long maxRows, PlankMetrics metrics) {
    this(() -> changeLog.prune(retention, maxRows), metrics);
  }

  PruneTask(Supplier<Future<Long>> prune, PlankMetrics metrics) {
    this.prune = prune;
    this.metrics = metrics;
  }

  public void start(Vertx vertx, Duration interval) {
    timer = vertx.setPeriodic(interval.toMillis(), t -> run());
  }

  /** No prune starts after this; one under way finishes. */
  public void stop(Vertx vertx) {
    stopped = true;
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  void run() {
    if (stopped || pruning) return;
    pruning = true;
    Future<Long> pruned;
    try {
      pruned = prune.get();
    } catch (RuntimeException e) {
      pruned = Future.failedFuture(e);
    }
    pruned.onComplete(
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
}
