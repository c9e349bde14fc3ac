package dev.plank.capture;

import java.util.concurrent.ThreadLocalRandom;

/** Capped exponential back-off with jitter. Not thread-safe: owned by its user's context. */
public final class Backoff {
  private final long initialMs;
  private final long maxMs;
  private int attempts;

  public Backoff(long initialMs, long maxMs) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** The delay before the next attempt; each call counts one attempt. */
  public long next() {
    long base = Math.min(maxMs, initialMs << Math.min(attempts, 20));
    attempts++;
    // Up to 25% jitter, so that many nodes do not reconnect in lock-step after a database restart.
    return base - ThreadLocalRandom.current().nextLong(base / 4 + 1);
  }

  public int attempts() {
    return attempts;
  }

  public void reset() {
    attempts = 0;
  }
}
