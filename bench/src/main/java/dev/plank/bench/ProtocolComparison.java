package dev.plank.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fanout runs of several protocols against the same server, alternating: every run's row, and per
 * protocol the medians of CPU per delivery and latency, and the ratio of each protocol's CPU per
 * delivery to the first's (as a ratio of medians, and as the median of the rounds' own ratios,
 * which drifting machine load hits less). Used by the scenario's main thread only.
 */
final class ProtocolComparison {
  private record Run(int round, Wire wire, FanoutScenario.Measurement m) {}

  private final List<Wire> wires;
  private final List<Run> runs = new ArrayList<>();

  ProtocolComparison(List<Wire> wires) {
    this.wires = List.copyOf(wires);
  }

  void add(int round, FanoutScenario.Measurement m) {
    runs.add(new Run(round, m.params().wire(), m));
  }

  void report(Report report) {
    List<Map<String, String>> rows = new ArrayList<>();
    List<Map<String, Object>> json = new ArrayList<>();
    for (Run run : runs) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("round", String.valueOf(run.round()));
      row.put("protocol", run.wire().label());
      row.putAll(run.m().row());
      rows.add(row);
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("round", run.round());
      j.put("protocol", run.wire().label());
      j.putAll(run.m().json());
      json.add(j);
    }
    report.table("every run", rows);
    report.results.put("runs", json);

    Wire base = wires.get(0);
    double baseCpu = median(of(base, FanoutScenario.Measurement::serverCpuPerMillion));
    List<Map<String, String>> summary = new ArrayList<>();
    Map<String, Object> summaryJson = new LinkedHashMap<>();
    for (Wire wire : wires) {
      List<Run> mine = runs.stream().filter(r -> r.wire().equals(wire)).toList();
      long delivered = 0;
      long expected = 0;
      long duplicates = 0;
      int complete = 0;
      for (Run r : mine) {
        delivered += r.m().delivered();
        expected += r.m().expected();
        duplicates += r.m().duplicates();
        if (r.m().delivered() == r.m().expected() && r.m().duplicates() == 0) complete++;
      }
      double cpu = median(of(wire, FanoutScenario.Measurement::serverCpuPerMillion));
      double p50 = median(of(wire, m -> LatencyRecorder.ms(m.latency(), 50)));
      double p99 = median(of(wire, m -> LatencyRecorder.ms(m.latency(), 99)));
      double roundRatio = median(roundRatios(base, wire));
      summary.add(
          new Report.Row()
              .put("protocol", wire.label())
              .put("runs", mine.size())
              .put("complete runs", complete + "/" + mine.size())
              .put("delivered", Fmt.ratio(delivered, expected))
              .put("dup", duplicates)
              .put("median p50 ms", Fmt.ms(p50))
              .put("median p99 ms", Fmt.ms(p99))
              .put("median server CPU s/1M", Fmt.num(cpu, 2))
              .put("CPU/delivery vs " + base.label(), Fmt.times(cpu, baseCpu))
              .put("median of rounds' ratios", Fmt.times(roundRatio, 1))
              .cells());
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("runs", mine.size());
      s.put("complete_runs", complete);
      s.put("delivered", delivered);
      s.put("expected", expected);
      s.put("duplicates", duplicates);
      s.put("median_p50_ms", Fmt.json(p50));
      s.put("median_p99_ms", Fmt.json(p99));
      s.put("median_server_cpu_seconds_per_million_deliveries", Fmt.json(cpu));
      s.put("cpu_per_delivery_ratio_of_medians", Fmt.json(cpu / baseCpu));
      s.put("cpu_per_delivery_median_of_round_ratios", Fmt.json(roundRatio));
      summaryJson.put(wire.label(), s);
    }
    report.table("medians per protocol (ratios against " + base.label() + ")", summary);
    report.results.put("summary", summaryJson);
  }

  private double[] of(
      Wire wire, java.util.function.ToDoubleFunction<FanoutScenario.Measurement> f) {
    return runs.stream()
        .filter(r -> r.wire().equals(wire))
        .mapToDouble(r -> f.applyAsDouble(r.m()))
        .toArray();
  }

  /** Each round's CPU per delivery of {@code wire} over that of {@code base}. */
  private double[] roundRatios(Wire base, Wire wire) {
    Map<Integer, Double> baseByRound = new LinkedHashMap<>();
    for (Run r : runs) {
      if (r.wire().equals(base)) baseByRound.put(r.round(), r.m().serverCpuPerMillion());
    }
    return runs.stream()
        .filter(r -> r.wire().equals(wire) && baseByRound.containsKey(r.round()))
        .mapToDouble(r -> r.m().serverCpuPerMillion() / baseByRound.get(r.round()))
        .toArray();
  }

  static double median(double[] values) {
    double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
    if (v.length == 0) return Double.NaN;
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
