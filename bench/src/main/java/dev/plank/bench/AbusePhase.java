package dev.plank.bench;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * One phase of an abuse run: a window of wall-clock time (System.nanoTime) with or without an
 * attack. A change belongs to the phase in whose window its commit was acknowledged, wherever its
 * deliveries land in time, so an attack's lingering damage is charged to that attack. The window is
 * set by the scenario's main thread and read by the canaries' event loops; everything else is
 * filled in by the main thread after the phase.
 */
final class AbusePhase {
  final String name;
  final Attack.Kind attack; // null for the baselines and the warm-up
  final boolean reported;
  // 0 for the warm-ups; an attack's ratio is taken against the baseline of its round (for a cold
  // attack, round 0, the first baseline's).
  final int round;
  AbusePhase reference;
  private volatile long start = Long.MAX_VALUE;
  private volatile long end = Long.MAX_VALUE;

  final LatencyRecorder latency = new LatencyRecorder();
  final LongAdder delivered = new LongAdder();

  // Main thread, after the phase.
  long committed;
  CpuMeter.Usage cpu;
  Attack.Stats attackStats;
  long rssAfter = -1;
  double attackerCpuSeconds = -1; // an attacker in a process of its own; -1 when not known
  SnapshotProbe.Summary probes;

  AbusePhase(String name, Attack.Kind attack, boolean reported, int round) {
    this.name = name;
    this.attack = attack;
    this.reported = reported;
    this.round = round;
  }

  /** An attack run once before the measured rounds, on a server that has not seen it yet. */
  boolean isCold() {
    return attack != null && round == 0;
  }

  void begin(long nanos) {
    start = nanos;
  }

  void finish(long nanos) {
    end = nanos;
  }

  long start() {
    return start;
  }

  long end() {
    return end;
  }

  boolean contains(long nanos) {
    return nanos >= start && nanos < end;
  }

  double seconds() {
    return end == Long.MAX_VALUE ? Double.NaN : (end - start) / 1e9;
  }

  /** The phase whose window holds {@code nanos}, or null (warm-up gaps, settling between). */
  static AbusePhase at(List<AbusePhase> phases, long nanos) {
    for (AbusePhase p : phases) if (p.contains(nanos)) return p;
    return null;
  }
}
