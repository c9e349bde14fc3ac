package dev.plank.ws;

/**
 * A token bucket: {@code rate} tokens a second, at most {@code burst} saved up. Owned by one
 * connection's event loop; not thread-safe.
 */
public final class TokenBucket {
  private final double perNano;
  private final double burst;
  private double tokens;
  private long refilledAt;

  public TokenBucket(int rate, int burst, long nowNanos) {
    this.perNano = rate / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.refilledAt = nowNanos;
  }

  /** Takes a token if there is one. */
  public boolean tryTake(long nowNanos) {
    refill(nowNanos);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  /** True when the client has fallen back under its rate long enough to save up a whole burst. */
  boolean isFull(long nowNanos) {
    refill(nowNanos);
    return tokens >= burst;
  }

  /** How long until a token is there (at least a millisecond, so a wait is never a busy loop). */
  long nanosUntilToken(long nowNanos) {
    refill(nowNanos);
    double missing = Math.max(0, 1 - tokens);
    return Math.max(1_000_000L, (long) Math.ceil(missing / perNano));
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - refilledAt;
    if (elapsed <= 0) return;
    tokens = Math.min(burst, tokens + elapsed * perNano);
    refilledAt = nowNanos;
  }
}
