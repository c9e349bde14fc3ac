package dev.plank.cli;

import java.util.concurrent.CompletableFuture;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT, as a future that completes on the first of them. Installed before anything
 * else starts, so that a stop asked for during start-up (a database being retried, say) is never
 * lost to the JVM's default handler halfway through.
 */
final class StopSignal {
  private final CompletableFuture<Void> requested = new CompletableFuture<>();

  private StopSignal() {}

  static StopSignal install() {
    StopSignal stop = new StopSignal();
    // Signal handlers run on a thread of their own; completing a future is all they do.
    Signal.handle(new Signal("TERM"), sig -> stop.requested.complete(null));
    Signal.handle(new Signal("INT"), sig -> stop.requested.complete(null));
    return stop;
  }

  CompletableFuture<Void> requested() {
    return requested;
  }

  boolean isRequested() {
    return requested.isDone();
  }
}
