package dev.plank.bench;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * Turns "client got change n at time t" into a latency from n's commit acknowledgement. A receipt
 * can come before the writer's commit callback has run: PostgreSQL sends NOTIFY at commit, and
 * Plank may forward it before the writer's event loop handles the commit reply. Such receipts wait
 * in a queue until the ack time is known, and any receipt timed before its ack counts as 0 ms (the
 * change was there no later than the writer learned of its commit); how many there were is
 * reported.
 */
final class DeliveryClock {
  /** Where a latency goes, with the commit acknowledgement time it was measured from. */
  interface Sink {
    void record(long ackNanos, long latencyNanos);
  }

  private final ChangeWriter writer;
  private final Sink sink;
  private final ConcurrentLinkedQueue<long[]> early = new ConcurrentLinkedQueue<>();
  private final LongAdder beforeAck = new LongAdder();

  DeliveryClock(ChangeWriter writer, LatencyRecorder latency) {
    this(writer, (ack, nanos) -> latency.record(nanos));
  }

  /** A clock that hands each latency to {@code sink} (abuse sorts them into its phases). */
  DeliveryClock(ChangeWriter writer, Sink sink) {
    this.writer = writer;
    this.sink = sink;
  }

  /** Called on any thread when a client received change n at {@code atNanos}. */
  void received(int n, long atNanos) {
    long ack = writer.ackNanos(n);
    if (ack != 0) {
      if (atNanos < ack) beforeAck.increment();
      sink.record(ack, atNanos - ack);
    } else {
      early.add(new long[] {n, atNanos});
    }
  }

  /**
   * Records the queued receipts whose ack is now known (the main thread calls this every progress
   * tick and at the end); returns how many are still waiting.
   */
  int settle() {
    int waiting = 0;
    for (int i = early.size(); i > 0; i--) {
      long[] r = early.poll();
      if (r == null) break;
      long ack = writer.ackNanos((int) r[0]);
      if (ack != 0) {
        if (r[1] < ack) beforeAck.increment();
        sink.record(ack, r[1] - ack);
      } else {
        early.add(r);
        waiting++;
      }
    }
    return waiting;
  }

  /** Receipts that arrived before the writer saw the commit acknowledgement. */
  long beforeAck() {
    return beforeAck.sum();
  }
}
