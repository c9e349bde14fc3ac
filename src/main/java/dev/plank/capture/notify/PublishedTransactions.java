package dev.plank.capture.notify;

import java.util.HashMap;
import java.util.Map;

/**
 * The transactions whose changes this node has published and that a catch-up after an outage could
 * read again: those with {@code xid >=} the frontier's xmin, each with the highest seq published (a
 * connection can drop halfway through a transaction's notifications). Older ones are forgotten as
 * the frontier moves, so the map stays as small as the window of concurrently open transactions.
 *
 * <p>Owned by the trigger source's context (the hub's event loop).
 */
final class PublishedTransactions {
  private static final int MIN_PRUNE_SIZE = 1024;

  private final Map<Long, Long> highestSeq = new HashMap<>();
  private int pruneAt = MIN_PRUNE_SIZE;

  void add(long xid, long seq, long frontierXmin) {
    highestSeq.merge(xid, seq, Math::max);
    if (highestSeq.size() >= pruneAt) {
      highestSeq.keySet().removeIf(x -> x < frontierXmin);
      pruneAt = Math.max(MIN_PRUNE_SIZE, highestSeq.size() * 2);
    }
  }

  /** Whether this change of the transaction was published (its notifications come in seq order). */
  boolean contains(long xid, long seq) {
    Long highest = highestSeq.get(xid);
    return highest != null && seq <= highest;
  }
}
