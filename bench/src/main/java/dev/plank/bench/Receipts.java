package dev.plank.bench;

import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-client bookkeeping of received changes: which bench changes each client has (for duplicates),
 * the last one (for order), and when the last receipt came. Each client's entries are touched only
 * by that client's event loop.
 */
final class Receipts implements Subscribers.Listener {
  private final BitSet[] seen;
  private final int[] lastN;
  private final AtomicLongArray lastAt;
  private final String prefix;
  private final Wire wire;
  private final DeliveryClock clock;
  private final LongAdder delivered = new LongAdder();
  final LongAdder duplicates = new LongAdder();
  final LongAdder reordered = new LongAdder();
  final LongAdder foreign = new LongAdder();

  Receipts(int clients, int changes, String prefix, DeliveryClock clock) {
    this(clients, changes, prefix, Wire.PLANK, clock);
  }

  /** Receipts of messages in {@code wire}'s change format. */
  Receipts(int clients, int changes, String prefix, Wire wire, DeliveryClock clock) {
    this.wire = wire;
    this.seen = new BitSet[clients];
    for (int i = 0; i < clients; i++) seen[i] = new BitSet(changes);
    this.lastN = new int[clients];
    Arrays.fill(lastN, -1);
    this.lastAt = new AtomicLongArray(clients);
    this.prefix = prefix;
    this.clock = clock;
  }

  @Override
  public void onMessage(int client, String text, long at) {
    int row = wire.rowStart(text);
    int n = row < 0 ? -1 : FrameScan.benchId(text, FrameScan.valueOf(text, "name", row), prefix);
    if (n < 0) {
      foreign.increment(); // another writer's change, or not a change
      return;
    }
    BitSet s = seen[client];
    if (s.get(n)) {
      duplicates.increment();
      return;
    }
    s.set(n);
    if (n < lastN[client]) reordered.increment();
    lastN[client] = n;
    lastAt.lazySet(client, at);
    delivered.increment();
    clock.received(n, at);
  }

  long delivered() {
    return delivered.sum();
  }

  /** Clients that received every one of {@code changes} changes (read after deliveries stopped). */
  int clientsWithAll(int changes) {
    int complete = 0;
    for (BitSet s : seen) if (s.cardinality() >= changes) complete++;
    return complete;
  }

  long lastReceiptNanos() {
    long max = 0;
    for (int i = 0; i < lastAt.length(); i++) max = Math.max(max, lastAt.get(i));
    return max;
  }
}
