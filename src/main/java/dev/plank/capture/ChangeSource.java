package dev.plank.capture;

import io.vertx.core.Future;

/**
 * Where committed changes come from: it hands them, decoded and in commit order, to the {@link
 * ChangeSink} it was built with, and reports when it is down and up again. Today the trigger log
 * with NOTIFY ({@link dev.plank.capture.notify.TriggerSource}) is the only one.
 */
public interface ChangeSource {
  /** Starts capturing; completes once the source is live (every commit from then on arrives). */
  Future<Void> start();

  /** Whether the source is live right now. Safe to call from any thread. */
  boolean isLive();

  /**
   * The seq of the newest change this source has published (or, before any, of the log's end when
   * it started), or -1 before it started. Safe to call from any thread.
   */
  long newestSeq();

  /** Stops capturing and releases its connection. */
  Future<Void> close();
}
