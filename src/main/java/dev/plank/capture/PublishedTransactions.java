package dev.plank.capture;

import java.util.HashSet;
import java.util.Set;

/**
 * The transactions whose changes this node has published and that a catch-up after an outage could
 * read again: those with {@code xid >=} the frontier's xmin. Older ones are forgotten as the
 * frontier moves, so the set stays as small as the window of concurrently open transactions.
 *
 * <p>Owned by the listener's context.
 */
final class PublishedTransactions {
  private static final int MIN_PRUNE_SIZE = 1024;

  private final Set<Long> xids = new HashSet<>();
  private long lastXid = -1;
  private int pruneAt = MIN_PRUNE_SIZE;

  void add(long xid, long frontierXmin) {
    if (xid == lastXid) return; // consecutive changes of one transaction
    lastXid = xid;
    xids.add(xid);
    if (xids.size() >= pruneAt) {
      xids.removeIf(x -> x < frontierXmin);
      pruneAt = Math.max(MIN_PRUNE_SIZE, xids.size() * 2);
    }
  }

  boolean contains(long xid) {
    return xids.contains(xid);
  }
}
