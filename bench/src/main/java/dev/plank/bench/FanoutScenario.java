package dev.plank.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * C WebSocket clients subscribed to one table; one writer commits R single-row changes per second
 * for D seconds. Measures delivery (every client must get every change once), latency from the
 * commit acknowledgement to each receipt, and Plank's CPU per delivery. With several nodes (--url
 * given more than once) the clients are spread over them round-robin and their CPU is summed.
 */
@Command(
    name = "fanout",
    description = "C subscribed WebSocket clients, one writer at R changes/s for D s.")
final class FanoutScenario extends ScenarioCommand {
  @Option(names = "--clients", defaultValue = "100", description = "C (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(
      names = "--rate",
      defaultValue = "100",
      description = "R, changes committed per second (default: ${DEFAULT-VALUE})")
  double rate;

  @Option(
      names = "--duration",
      defaultValue = "10",
      description = "D, seconds of writing (default: ${DEFAULT-VALUE})")
  double duration;

  @Option(
      names = "--update-ratio",
      defaultValue = "0.5",
      description =
          "share of UPDATEs among the changes, the rest INSERTs (default: ${DEFAULT-VALUE})")
  double updateRatio;

  @Option(
      names = "--drain",
      defaultValue = "5",
      description = "seconds to wait for stragglers after writing ends (default: ${DEFAULT-VALUE})")
  double drain;

  @Option(
      names = "--warmup",
      defaultValue = "2",
      description =
          "seconds of writing at the same rate before measuring, not counted: warms up the JITs"
              + " of Plank and of this client (default: ${DEFAULT-VALUE})")
  double warmup;

  @Option(
      names = "--connect-concurrency",
      defaultValue = "100",
      description = "WebSocket handshakes in flight while connecting (default: ${DEFAULT-VALUE})")
  int connectConcurrency;

  @Option(
      names = "--protocol",
      defaultValue = "plank",
      split = ",",
      description =
          "how the clients subscribe: plank (/ws) or supabase (/realtime/v1/websocket, Phoenix"
              + " Channels postgres_changes, as realtime-js does); several (plank,supabase)"
              + " alternate in one run (default: ${DEFAULT-VALUE})")
  List<String> protocols;

  @Option(
      names = "--vsn",
      defaultValue = "1.0.0",
      description =
          "the Phoenix serializer of the supabase protocol: 1.0.0 (JSON objects) or 2.0.0 (JSON"
              + " arrays, realtime-js's default) (default: ${DEFAULT-VALUE})")
  String vsn;

  @Option(
      names = "--rounds",
      defaultValue = "1",
      description =
          "runs of each protocol, alternating (ABBA order), with medians and their ratio"
              + " (default: ${DEFAULT-VALUE})")
  int rounds;

  @Override
  public String name() {
    return "fanout";
  }

  @Override
  public Report run(Bench bench) throws Exception {
    List<Wire> wires = new ArrayList<>();
    for (String protocol : protocols) {
      Wire wire = Wire.of(Wire.Kind.parse(protocol), vsn);
      if (!wires.contains(wire)) wires.add(wire);
    }
    if (rounds < 1) throw new BenchException("--rounds must be at least 1");
    Params p =
        new Params(
            clients, rate, duration, updateRatio, drain, warmup, connectConcurrency, wires.get(0));
    Report report = new Report(name());
    report.params.putAll(p.json());
    report.params.put("nodes", bench.urls.size());
    if (wires.size() == 1 && rounds == 1) {
      Measurement m = measure(bench, p);
      report.results.putAll(m.json());
      report.table(null, List.of(m.row()));
      return report;
    }
    report.params.put("protocols", wires.stream().map(Wire::label).toList());
    report.params.put("rounds", rounds);
    ProtocolComparison comparison = new ProtocolComparison(wires);
    for (int round = 1; round <= rounds; round++) {
      // ABBA: each protocol runs first in every other round, so order effects cancel out.
      List<Wire> order = new ArrayList<>(wires);
      if (round % 2 == 0) Collections.reverse(order);
      for (Wire wire : order) {
        bench.progress.line("round %d/%d: %s", round, rounds, wire.label());
        comparison.add(round, measure(bench, p.with(wire)));
      }
    }
    comparison.report(report);
    return report;
  }

  record Params(
      int clients,
      double rate,
      double duration,
      double updateRatio,
      double drain,
      double warmup,
      int connectConcurrency,
      Wire wire) {
    Params with(Wire other) {
      return new Params(
          clients, rate, duration, updateRatio, drain, warmup, connectConcurrency, other);
    }

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("clients", clients);
      m.put("rate", rate);
      m.put("duration_seconds", duration);
      m.put("update_ratio", updateRatio);
      m.put("drain_seconds", drain);
      m.put("warmup_seconds", warmup);
      m.put("protocol", wire.label());
      return m;
    }
  }

  /** What one fanout run measured. */
  record Measurement(
      Params params,
      int subscribed,
      int connectFailures,
      int acked,
      int writeFailures,
      double achievedRate,
      long delivered,
      long expected,
      long duplicates,
      long reordered,
      long foreign,
      long beforeAck,
      int closed,
      String firstClose,
      double deliverySeconds,
      Histogram latency,
      Histogram commitLatency,
      CpuMeter.Usage cpu,
      long rssBefore,
      long rssAfter) {

    double deliveriesPerSecond() {
      return deliverySeconds <= 0 ? 0 : delivered / deliverySeconds;
    }

    double serverCpuPerMillion() {
      return delivered == 0 ? Double.NaN : cpu.server() / delivered * 1e6;
    }

    Map<String, String> row() {
      return new Report.Row()
          .put("C", params.clients())
          .put("R/s", Fmt.num(params.rate(), 0))
          .put("D s", Fmt.num(params.duration(), 0))
          .put("delivered", Fmt.ratio(delivered, expected))
          .put("dup", duplicates)
          .put("p50 ms", Fmt.ms(LatencyRecorder.ms(latency, 50)))
          .put("p90 ms", Fmt.ms(LatencyRecorder.ms(latency, 90)))
          .put("p99 ms", Fmt.ms(LatencyRecorder.ms(latency, 99)))
          .put("p99.9 ms", Fmt.ms(LatencyRecorder.ms(latency, 99.9)))
          .put("max ms", Fmt.ms(LatencyRecorder.maxMs(latency)))
          .put("deliveries/s", Fmt.num(deliveriesPerSecond(), 0))
          .put("server CPU s", Fmt.num(cpu.server(), 2))
          .put("server CPU s/1M", Fmt.num(serverCpuPerMillion(), 2))
          .put("PG CPU s", Fmt.num(cpu.postgres(), 2))
          .put("server RSS MB", Fmt.mb(rssAfter))
          .cells();
    }

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("subscribed", subscribed);
      m.put("connect_failures", connectFailures);
      m.put("changes_committed", acked);
      m.put("write_failures", writeFailures);
      m.put("achieved_rate", Fmt.json(achievedRate));
      m.put("delivered", delivered);
      m.put("expected", expected);
      m.put("duplicates", duplicates);
      m.put("out_of_order", reordered);
      m.put("foreign_messages", foreign);
      m.put("received_before_commit_ack", beforeAck);
      m.put("closed_by_server", closed);
      m.put("first_close", firstClose);
      m.put("latency", LatencyRecorder.summary(latency));
      m.put("commit_latency", LatencyRecorder.summary(commitLatency));
      m.put("deliveries_per_second", Fmt.json(deliveriesPerSecond()));
      m.put("cpu", cpu.toJson());
      m.put("server_cpu_seconds_per_million_deliveries", Fmt.json(serverCpuPerMillion()));
      m.put("server_rss_bytes_before", rssBefore);
      m.put("server_rss_bytes_after", rssAfter);
      return m;
    }
  }

  /** Runs one fanout measurement (also used by the polling scenario for its comparison). */
  static Measurement measure(Bench bench, Params p) throws Exception {
    Progress progress = bench.progress;
    bench.checkCaptured();
    ChangeWriter writer =
        new ChangeWriter(
            bench.vertx, bench.pg, bench.table, p.rate(), p.duration(), p.updateRatio());
    Bench.await(writer.prepare(bench.table), 30, "preparing the writer");

    LatencyRecorder latency = new LatencyRecorder();
    DeliveryClock clock = new DeliveryClock(writer, latency);
    Receipts receipts = new Receipts(p.clients(), writer.total(), writer.prefix(), p.wire(), clock);

    try (Subscribers subs =
        new Subscribers(
            bench.vertx, bench.urls, bench.table, p.wire(), p.clients(), List.of(), receipts)) {
      Subscribers.Opened opened = subs.open(p.clients(), p.connectConcurrency(), progress);
      if (opened.subscribed() == 0) {
        throw new BenchException("no client could subscribe: " + opened.firstError());
      }
      if (p.warmup() > 0) warmUp(bench, p);
      long rssBefore = bench.serversRssBytes();
      CpuMeter cpu = bench.cpuMeter();
      CpuMeter tick = bench.cpuMeter();
      progress.line(
          "writing %.0f changes/s for %.0f s to %d clients (%s)",
          p.rate(), p.duration(), opened.subscribed(), p.wire().label());

      var writing = writer.start();
      Runnable report =
          () -> {
            clock.settle();
            Histogram h = latency.interval();
            CpuMeter.Usage u = tick.read();
            tick.reset();
            progress.line(
                "committed %d/%d, delivered %s; last 1s: p50 %s p99 %s max %s ms; server CPU %s%%,"
                    + " PG CPU %s%%",
                writer.acked(),
                writer.total(),
                Fmt.ratio(receipts.delivered(), (long) opened.subscribed() * writer.acked()),
                Fmt.ms(LatencyRecorder.ms(h, 50)),
                Fmt.ms(LatencyRecorder.ms(h, 99)),
                Fmt.ms(LatencyRecorder.maxMs(h)),
                Fmt.num(100 * u.server() / u.wallSeconds(), 0),
                Fmt.num(100 * u.postgres() / u.wallSeconds(), 0));
          };
      Bench.waitUntil(writing::isComplete, Long.MAX_VALUE, report);
      if (writing.failed()) throw new BenchException("writer failed: " + writing.cause());

      // Stragglers: wait until every subscribed client has every committed change, or give up.
      long expected = (long) opened.subscribed() * writer.acked();
      boolean complete =
          Bench.waitUntil(
              () -> receipts.delivered() >= expected,
              System.nanoTime() + (long) (p.drain() * 1e9),
              report);
      CpuMeter.Usage usage = cpu.read();
      long rssAfter = bench.serversRssBytes();
      if (!complete) {
        progress.line(
            "drain: gave up after %.0f s with %s delivered",
            p.drain(), Fmt.ratio(receipts.delivered(), expected));
      }
      int unmatched = clock.settle();
      if (unmatched > 0) progress.line("%d receipts of changes never acknowledged", unmatched);
      if (writer.failed() > 0) {
        progress.line("%d writes failed, last: %s", writer.failed(), writer.lastError());
      }
      if (writer.achievedRate() < 0.95 * p.rate()) {
        progress.line(
            "WARNING: the writer achieved %.0f changes/s of %.0f", writer.achievedRate(), p.rate());
      }
      Measurement m =
          new Measurement(
              p,
              opened.subscribed(),
              opened.failed(),
              writer.acked(),
              writer.failed(),
              writer.achievedRate(),
              receipts.delivered(),
              expected,
              receipts.duplicates.sum(),
              receipts.reordered.sum(),
              receipts.foreign.sum(),
              clock.beforeAck(),
              subs.closedAfterSubscribe(),
              subs.firstClose(),
              (receipts.lastReceiptNanos() - writer.startNanos()) / 1e9,
              latency.total(),
              writer.commitLatency().total(),
              usage,
              rssBefore,
              rssAfter);
      Bench.await(writer.close(), 10, "closing the writer");
      return m;
    }
  }

  /**
   * Writes at the measured rate for a while with a writer of its own: its rows carry another
   * prefix, so the clients count them as foreign, not as deliveries.
   */
  private static void warmUp(Bench bench, Params p) throws InterruptedException {
    bench.progress.line(
        "warming up: %.0f changes/s for %.0f s (not measured)", p.rate(), p.warmup());
    ChangeWriter warm =
        new ChangeWriter(bench.vertx, bench.pg, bench.table, p.rate(), p.warmup(), p.updateRatio());
    Bench.await(warm.prepare(bench.table), 30, "preparing the warm-up writer");
    Bench.await(warm.start(), (long) p.warmup() + 60, "warming up");
    Bench.await(warm.close(), 10, "closing the warm-up writer");
    Thread.sleep(500); // let the last warm-up deliveries land before measuring
  }
}
