package dev.plank.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The prune task is background work: one failure, even a throw, must not stop the next run. */
class PruneTaskTest {
  private final PlankMetrics metrics = new PlankMetrics();

  @Test
  void aPruneThatThrowsDoesNotStopTheNextOne() {
    AtomicInteger calls = new AtomicInteger();
    PruneTask task =
        new PruneTask(
            () -> {
              if (calls.incrementAndGet() == 1) throw new IllegalStateException("pool closed");
              return Future.succeededFuture(3L);
            },
            metrics);
    task.run();
    task.run();
    assertThat(calls).hasValue(2);
  }

  @Test
  void aFailedPruneIsRetriedNextTime() {
    AtomicInteger calls = new AtomicInteger();
    PruneTask task =
        new PruneTask(
            () -> {
              calls.incrementAndGet();
              return Future.failedFuture("connection refused");
            },
            metrics);
    task.run();
    task.run();
    assertThat(calls).hasValue(2);
  }

  @Test
  void onePruneAtATime() {
    AtomicInteger calls = new AtomicInteger();
    Promise<Long> running = Promise.promise();
    PruneTask task =
        new PruneTask(
            () -> {
              calls.incrementAndGet();
              return running.future();
            },
            metrics);
    task.run();
    task.run();
    assertThat(calls).hasValue(1);
    running.complete(0L);
    task.run();
    assertThat(calls).hasValue(2);
  }
}
