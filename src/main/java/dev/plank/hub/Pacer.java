package dev.plank.hub;

import dev.plank.capture.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs a catch-up's steps on the hub's context and paces its sends by the client's outbound queue.
 * A step that fails or throws ends in {@code onFailure}; a client gone while waiting ends in {@code
 * onInactive}.
 */
final class Pacer {
  private final Context context;
  private final long drainDeadlineMs;
  private final Subscriber subscriber;
  private final BooleanSupplier active;
  private final Consumer<Throwable> onFailure;
  private final Runnable onInactive;
  private final Runnable onDrainTimeout; // counts the limit hit

  Pacer(
      Context context,
      Subscriber subscriber,
      Duration drainDeadline,
      BooleanSupplier active,
      Consumer<Throwable> onFailure,
      Runnable onInactive,
      Runnable onDrainTimeout) {
    this.onDrainTimeout = onDrainTimeout;
    this.context = context;
    this.subscriber = subscriber;
    this.drainDeadlineMs = Math.max(1, drainDeadline.toMillis());
    this.active = active;
    this.onFailure = onFailure;
    this.onInactive = onInactive;
  }

  /** Continues with the outcome on the hub's context. */
  <T> void step(Future<T> future, Consumer<T> next) {
    OnContext.of(context, future)
        .onComplete(
            r -> {
              if (r.failed()) {
                onFailure.accept(r.cause());
                return;
              }
              try {
                next.accept(r.result());
              } catch (RuntimeException e) {
                onFailure.accept(e);
              }
            });
  }

  /**
   * Runs {@code next} once the client has room. A client that makes none within the drain deadline
   * (PLANK_STALL_TIMEOUT) is cut as a slow consumer: a client that does not read must not hold one
   * of the few read slots (a pooled connection and an open snapshot) while others wait.
   */
  void afterDrain(Runnable next) {
    Vertx vertx = context.owner();
    boolean[] settled = {false}; // owned by the hub's context, like the timer and the step
    long deadline =
        vertx.setTimer(
            drainDeadlineMs,
            t -> {
              if (settled[0]) return;
              if (active.getAsBoolean()) {
                onDrainTimeout.run();
                subscriber.tooSlow();
              } else {
                // Unsubscribed while its socket stays full: free the read slot now, not when the
                // client finally goes away.
                settled[0] = true;
                onInactive.run();
              }
            });
    step(
        subscriber.whenWritable(),
        v -> {
          vertx.cancelTimer(deadline);
          if (settled[0]) return;
          settled[0] = true;
          if (active.getAsBoolean()) next.run();
          else onInactive.run();
        });
  }
}
