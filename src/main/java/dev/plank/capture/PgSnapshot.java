package dev.plank.capture;

import java.util.Arrays;

/**
 * A PostgreSQL snapshot ({@code pg_current_snapshot()}): which transactions had committed when it
 * was taken. It is the seam between a read of the log or a table and the live stream: a live change
 * whose transaction the snapshot already sees was part of that read.
 */
public final class PgSnapshot {
  private final long xmin;
  private final long xmax;
  private final long[] inProgress; // sorted; never exposed, so the snapshot stays immutable

  private PgSnapshot(long xmin, long xmax, long[] inProgress) {
    this.xmin = xmin;
    this.xmax = xmax;
    this.inProgress = inProgress;
  }

  /** Parses {@code xmin:xmax:xip,xip,…}. */
  public static PgSnapshot parse(String text) {
    String[] parts = text.split(":", -1);
    if (parts.length != 3) throw new IllegalArgumentException("not a snapshot: " + text);
    long[] xip =
        parts[2].isEmpty()
            ? new long[0]
            : Arrays.stream(parts[2].split(",")).mapToLong(Long::parseLong).sorted().toArray();
    return new PgSnapshot(Long.parseLong(parts[0]), Long.parseLong(parts[1]), xip);
  }

  /** The oldest transaction still running when the snapshot was taken. */
  public long xmin() {
    return xmin;
  }

  /** Whether a transaction's changes are visible in this snapshot (it had committed). */
  public boolean sees(long xid) {
    if (xid < xmin) return true;
    if (xid >= xmax) return false;
    return Arrays.binarySearch(inProgress, xid) < 0;
  }
}
