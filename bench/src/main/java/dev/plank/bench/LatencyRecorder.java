package dev.plank.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latencies in nanoseconds, recorded from any thread without locks (HdrHistogram's Recorder), and
 * read by one thread (the scenario's main thread) per progress interval and in total.
 */
final class LatencyRecorder {
  private static final long HIGHEST = TimeUnit.MINUTES.toNanos(10);

  private final Recorder recorder = new Recorder(HIGHEST, 3);
  private final Histogram total = new Histogram(HIGHEST, 3);

  /** Records one latency; negative values count as 0, values over 10 minutes as 10 minutes. */
  void record(long nanos) {
    recorder.recordValue(Math.max(0, Math.min(nanos, HIGHEST)));
  }

  /** What was recorded since the previous call (also folded into the total). */
  Histogram interval() {
    Histogram h = recorder.getIntervalHistogram();
    total.add(h);
    return h;
  }

  /** Everything recorded so far. */
  Histogram total() {
    interval();
    return total;
  }

  /** Milliseconds at a percentile of a histogram, or NaN when it is empty. */
  static double ms(Histogram h, double percentile) {
    if (h.getTotalCount() == 0) return Double.NaN;
    return h.getValueAtPercentile(percentile) / 1e6;
  }

  static double maxMs(Histogram h) {
    return h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1e6;
  }

  /** count, p50, p90, p99, p99.9, max (ms) for the JSON results. */
  static Map<String, Object> summary(Histogram h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", h.getTotalCount());
    m.put("p50_ms", Fmt.json(ms(h, 50)));
    m.put("p90_ms", Fmt.json(ms(h, 90)));
    m.put("p99_ms", Fmt.json(ms(h, 99)));
    m.put("p99_9_ms", Fmt.json(ms(h, 99.9)));
    m.put("max_ms", Fmt.json(maxMs(h)));
    m.put("mean_ms", Fmt.json(h.getTotalCount() == 0 ? Double.NaN : h.getMean() / 1e6));
    return m;
  }
}
