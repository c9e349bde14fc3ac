package dev.plank.bench;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * N idle subscribed WebSocket connections: how fast they open, what each costs the server (RSS and
 * Java heap), and whether every one of them still receives every change.
 */
@Command(
    name = "connections",
    description = "N subscribed idle connections, then a few changes that all must receive.")
final class ConnectionsScenario extends ScenarioCommand {
  /** Ephemeral ports left for other sockets when deciding whether one source address is enough. */
  private static final int PORT_HEADROOM = 2000;

  /** Open files needed besides the connections (jars, epoll, database connections...). */
  private static final int FD_HEADROOM = 200;

  @Option(names = "--count", defaultValue = "1000", description = "N (default: ${DEFAULT-VALUE})")
  int count;

  @Option(
      names = "--changes",
      defaultValue = "5",
      description = "changes committed once all are connected (default: ${DEFAULT-VALUE})")
  int changes;

  @Option(
      names = "--connect-concurrency",
      defaultValue = "200",
      description = "WebSocket handshakes in flight while connecting (default: ${DEFAULT-VALUE})")
  int connectConcurrency;

  @Option(
      names = "--hold",
      defaultValue = "5",
      description =
          "seconds to hold the idle connections, measuring idle CPU (default: ${DEFAULT-VALUE})")
  double hold;

  @Option(
      names = "--source-addresses",
      split = ",",
      description =
          "local addresses to spread connections over, e.g. 127.0.0.1,127.0.0.2 (default: as many"
              + " 127.0.0.x as the ephemeral port range needs for a loopback --url, else the system's"
              + " choice)")
  List<String> sourceAddresses = new ArrayList<>();

  @Option(
      names = "--gc",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "run 'jcmd <pid> GC.run' on the server before each heap reading, so heap per connection"
              + " counts live objects, not garbage (default: ${DEFAULT-VALUE})")
  boolean gc;

  @Option(
      names = "--deliver-timeout",
      defaultValue = "30",
      description =
          "seconds to wait for every connection to get the changes (default: ${DEFAULT-VALUE})")
  double deliverTimeout;

  @Override
  public String name() {
    return "connections";
  }

  @Override
  public Report run(Bench bench) throws Exception {
    Progress progress = bench.progress;
    checkOpenFiles(bench);
    bench.checkCaptured();
    List<String> sources = sources(bench);

    Memory before = memory(bench);
    progress.line(
        "before: server RSS %s MB (%s MB after GC), heap %s MB",
        Fmt.mb(before.rss()), Fmt.mb(before.rssAfterGc()), Fmt.mb(before.heap()));

    ChangeWriter writer = new ChangeWriter(bench.vertx, bench.pg, bench.table, changes, 1);
    Bench.await(writer.prepare(bench.table), 30, "preparing the writer");
    LatencyRecorder latency = new LatencyRecorder();
    DeliveryClock clock = new DeliveryClock(writer, latency);
    Receipts receipts = new Receipts(count, writer.total(), writer.prefix(), clock);

    try (Subscribers subs =
        new Subscribers(bench.vertx, bench.url, bench.table, count, sources, receipts)) {
      Subscribers.Opened opened = subs.open(count, connectConcurrency, progress);
      Memory after = memory(bench);
      double serverConnections = bench.server.metric("plank_connections");
      int n = Math.max(1, opened.subscribed());
      progress.line(
          "after: server RSS %s MB (%s MB after GC, %s KB/connection), heap %s MB (%s"
              + " KB/connection), plank_connections %s",
          Fmt.mb(after.rss()),
          Fmt.mb(after.rssAfterGc()),
          Fmt.kb(perConnection(before.rssAfterGc(), after.rssAfterGc(), n)),
          Fmt.mb(after.heap()),
          Fmt.kb(perConnection(before.heap(), after.heap(), n)),
          Fmt.num(serverConnections, 0));

      CpuMeter idle = bench.cpuMeter();
      progress.line("holding %d idle connections for %.0f s", opened.subscribed(), hold);
      Thread.sleep((long) (hold * 1000));
      CpuMeter.Usage idleCpu = idle.read();

      progress.line("committing %d changes", writer.total());
      CpuMeter cpu = bench.cpuMeter();
      Bench.await(writer.start(), 60, "writing the changes");
      long expected = (long) opened.subscribed() * writer.acked();
      Bench.waitUntil(
          () -> receipts.delivered() >= expected,
          System.nanoTime() + (long) (deliverTimeout * 1e9),
          () -> progress.line("received %s", Fmt.ratio(receipts.delivered(), expected)));
      CpuMeter.Usage deliverCpu = cpu.read();
      clock.settle();
      int complete = receipts.clientsWithAll(writer.acked());
      Histogram h = latency.total();
      Bench.await(writer.close(), 10, "closing the writer");
      progress.line(
          "received %s; %d/%d connections got every change; %d closed by the server%s",
          Fmt.ratio(receipts.delivered(), expected),
          complete,
          opened.subscribed(),
          subs.closedAfterSubscribe(),
          subs.firstClose() == null ? "" : " (first: " + subs.firstClose() + ")");

      Report report = new Report(name());
      report.params.put("count", count);
      report.params.put("changes", changes);
      report.params.put("connect_concurrency", connectConcurrency);
      report.params.put("source_addresses", sources);
      report.params.put("gc_before_heap_readings", gc);
      report.results.put("subscribed", opened.subscribed());
      report.results.put("failed", opened.failed());
      report.results.put("first_error", opened.firstError());
      report.results.put("connect_seconds", Fmt.json(opened.seconds()));
      report.results.put("connects_per_second", Fmt.json(opened.perSecond()));
      report.results.put("server_connections_metric", Fmt.json(serverConnections));
      report.results.put("server_rss_bytes_before", before.rss());
      report.results.put("server_rss_bytes_after", after.rss());
      report.results.put("server_rss_bytes_before_after_gc", before.rssAfterGc());
      report.results.put("server_rss_bytes_after_after_gc", after.rssAfterGc());
      report.results.put("server_heap_bytes_before", before.heap());
      report.results.put("server_heap_bytes_after", after.heap());
      report.results.put(
          "server_rss_bytes_per_connection",
          Fmt.json(perConnection(before.rssAfterGc(), after.rssAfterGc(), n)));
      report.results.put(
          "server_heap_bytes_per_connection",
          Fmt.json(perConnection(before.heap(), after.heap(), n)));
      report.results.put("idle_cpu", idleCpu.toJson());
      report.results.put("changes_committed", writer.acked());
      report.results.put("received", receipts.delivered());
      report.results.put("expected", expected);
      report.results.put("connections_with_every_change", complete);
      report.results.put("duplicates", receipts.duplicates.sum());
      report.results.put("closed_by_server", subs.closedAfterSubscribe());
      report.results.put("latency", LatencyRecorder.summary(h));
      report.results.put("delivery_cpu", deliverCpu.toJson());
      Map<String, String> row =
          new Report.Row()
              .put("N", count)
              .put("subscribed", Fmt.ratio(opened.subscribed(), count))
              .put("connects/s", Fmt.num(opened.perSecond(), 0))
              .put("RSS before MB", Fmt.mb(before.rss()))
              .put("RSS after MB", Fmt.mb(after.rss()))
              .put("RSS KB/conn", Fmt.kb(perConnection(before.rssAfterGc(), after.rssAfterGc(), n)))
              .put("heap KB/conn", Fmt.kb(perConnection(before.heap(), after.heap(), n)))
              .put("idle server CPU %", Fmt.num(100 * idleCpu.server() / idleCpu.wallSeconds(), 1))
              .put("received", Fmt.ratio(receipts.delivered(), expected))
              .put("p50 ms", Fmt.ms(LatencyRecorder.ms(h, 50)))
              .put("p99 ms", Fmt.ms(LatencyRecorder.ms(h, 99)))
              .put("max ms", Fmt.ms(LatencyRecorder.maxMs(h)))
              .put("closed", subs.closedAfterSubscribe())
              .cells();
      report.table(null, List.of(row));
      return report;
    }
  }

  /**
   * Server memory at one point: RSS as it was, then RSS and heap after a full GC. The GC'd values
   * make the per-connection differences stable; the first RSS is what the server really holds.
   */
  private record Memory(long rss, long rssAfterGc, long heap) {}

  private Memory memory(Bench bench) throws InterruptedException {
    long rss = bench.server.rssBytes();
    if (!gc) return new Memory(rss, rss, bench.server.heapUsedBytes());
    if (!bench.server.collectGarbage()) {
      bench.progress.line("could not run 'jcmd <pid> GC.run' on the server: heap includes garbage");
      gc = false;
      return new Memory(rss, rss, bench.server.heapUsedBytes());
    }
    return new Memory(rss, settledRss(bench), bench.server.heapUsedBytes());
  }

  /**
   * RSS once it stops moving (unchanged for a second, at most 5 s): G1 gives memory back to the
   * system in the background after a full GC.
   */
  private static long settledRss(Bench bench) throws InterruptedException {
    long last = bench.server.rssBytes();
    long stableSince = System.nanoTime();
    long deadline = stableSince + 5_000_000_000L;
    while (System.nanoTime() < deadline && System.nanoTime() - stableSince < 1_000_000_000L) {
      Thread.sleep(200);
      long now = bench.server.rssBytes();
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      }
    }
    return last;
  }

  private static double perConnection(long before, long after, int n) {
    return before < 0 || after < 0 ? Double.NaN : (double) (after - before) / n;
  }

  /** Each connection is one open file here and one in Plank: both limits must allow N. */
  private void checkOpenFiles(Bench bench) {
    long need = count + FD_HEADROOM;
    OptionalLong mine = ProcessStats.openFilesLimit(ProcessHandle.current().pid());
    if (mine.isPresent() && mine.getAsLong() < need) {
      throw new BenchException(
          String.format(
              "%d connections need about %d open files, but this process may open %d. Raise the"
                  + " limit in this shell (and in the one that starts Plank) first: ulimit -n 65536"
                  + " (above the hard limit: as root, or via /etc/security/limits.conf)",
              count, need, mine.getAsLong()));
    }
    Long pid = bench.server.pid();
    OptionalLong server = pid == null ? OptionalLong.empty() : ProcessStats.openFilesLimit(pid);
    if (server.isPresent() && server.getAsLong() < need) {
      throw new BenchException(
          String.format(
              "%d connections need about %d open files in Plank, but it may open %d. Restart it"
                  + " from a shell with 'ulimit -n 65536', or raise it live: prlimit --pid %d"
                  + " --nofile=65536:65536",
              count, need, server.getAsLong(), pid));
    }
  }

  /**
   * A connection from one local address to Plank's address and port needs a distinct ephemeral
   * port: 28,232 with Linux's default range. Beyond that, spread connections over several loopback
   * source addresses (all of 127.0.0.0/8 is local on Linux).
   */
  private List<String> sources(Bench bench) throws Exception {
    if (!sourceAddresses.isEmpty()) return sourceAddresses;
    int[] range = ProcessStats.ephemeralPorts();
    if (range == null) return List.of();
    int perAddress = Math.max(1000, range[1] - range[0] + 1 - PORT_HEADROOM);
    if (count <= perAddress) return List.of();
    boolean loopback = InetAddress.getByName(bench.url.getHost()).isLoopbackAddress();
    int needed = (count + perAddress - 1) / perAddress;
    if (!loopback) {
      bench.progress.line(
          "WARNING: %d connections exceed the %d ephemeral ports of one source address; pass"
              + " --source-addresses, or widen net.ipv4.ip_local_port_range",
          count, perAddress);
      return List.of();
    }
    List<String> sources = new ArrayList<>();
    for (int i = 1; i <= needed; i++) sources.add("127.0.0." + i);
    bench.progress.line(
        "spreading %d connections over source addresses %s (%d ephemeral ports each)",
        count, String.join(",", sources), perAddress);
    return sources;
  }
}
