package dev.plank.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A canary (a few subscribed WebSocket clients, a writer at a steady rate, and a snapshot of a
 * small table taken every second) measured through phases of one run: each attack once, cold (the
 * server has not seen it yet: its JIT compiles and deoptimises the paths the attack takes, a
 * one-time cost), then rounds of a baseline followed by each attack in turn (a ping flood, a
 * subscribe storm, attackers holding snapshot slots), then a baseline again. Reports the canary's
 * latency in each phase against its round's baseline: the target of issue 12 is a p99 under each
 * attack within 2x of the p99 without it, judged on the median over the rounds.
 */
@Command(
    name = "abuse",
    description =
        "A canary's delivery latency and snapshot time while attackers flood pings, storm"
            + " subscribes or hold snapshot slots, phase by phase, against a baseline.")
final class AbuseScenario extends ScenarioCommand {
  @Option(
      names = "--canaries",
      defaultValue = "2",
      description = "subscribed canary clients (default: ${DEFAULT-VALUE})")
  int canaries;

  @Option(
      names = "--rate",
      defaultValue = "50",
      description = "changes committed per second, all run long (default: ${DEFAULT-VALUE})")
  double rate;

  @Option(
      names = "--phase-seconds",
      defaultValue = "15",
      description = "length of each phase (default: ${DEFAULT-VALUE})")
  double phaseSeconds;

  @Option(
      names = "--settle",
      defaultValue = "3",
      description =
          "seconds between phases, not measured: an attack's backlog drains before the next"
              + " phase (default: ${DEFAULT-VALUE})")
  double settle;

  @Option(
      names = "--warmup",
      defaultValue = "3",
      description =
          "seconds of canary load before the baseline, not measured (default: ${DEFAULT-VALUE})")
  double warmup;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      description =
          "rounds of a baseline and every attack; the verdict takes each attack's median ratio over"
              + " the rounds (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(
      names = "--cold-seconds",
      defaultValue = "5",
      description =
          "each attack runs this long before the rounds, reported as cold and not judged: the first"
              + " time a server meets an attack, its JIT recompiles the paths the attack takes (0:"
              + " skip; default: ${DEFAULT-VALUE})")
  double coldSeconds;

  @Option(
      names = "--attacks",
      split = ",",
      defaultValue = "ping-flood,subscribe-storm,snapshot-hold",
      description = "attacks to run, in order (default: ${DEFAULT-VALUE})")
  List<String> attacks;

  @Option(
      names = "--no-end-baseline",
      description = "skip the second baseline after the attacks (it shows drift over the run)")
  boolean noEndBaseline;

  @Option(
      names = "--ping-connections",
      defaultValue = "2",
      description = "connections of the ping flood (default: ${DEFAULT-VALUE})")
  int pingConnections;

  @Option(
      names = "--storm-connections",
      defaultValue = "4",
      description = "connections of the subscribe storm (default: ${DEFAULT-VALUE})")
  int stormConnections;

  @Option(
      names = "--hold-connections",
      defaultValue = "6",
      description =
          "connections that take a snapshot of the large table and never read (default:"
              + " ${DEFAULT-VALUE}; Plank reads 4 snapshots at a time)")
  int holdConnections;

  @Option(
      names = "--hold-seconds",
      defaultValue = "5",
      description =
          "a holding connection lets go after this long and comes back with a new one (default:"
              + " ${DEFAULT-VALUE})")
  double holdSeconds;

  @Option(
      names = "--attacker-threads",
      defaultValue = "1",
      description = "event-loop threads of the attackers (default: ${DEFAULT-VALUE})")
  int attackerThreads;

  @Option(
      names = "--attacker-jvm",
      defaultValue = "own",
      description =
          "own: the attackers run in a JVM of their own, as a client on another machine would;"
              + " same: in the canary's JVM, sharing its GC pauses and safepoints (default:"
              + " ${DEFAULT-VALUE})")
  String attackerJvm;

  @Option(
      names = "--attacker-nice",
      defaultValue = "0",
      description =
          "with --attacker-jvm own, run the attackers under nice -n this (0: not niced; default:"
              + " ${DEFAULT-VALUE})")
  int attackerNice;

  @Option(
      names = "--attacker-java-opts",
      defaultValue = "-XX:+UseParallelGC",
      description = "JVM options of the attackers' own JVM (default: ${DEFAULT-VALUE})")
  String attackerJavaOpts;

  @Option(
      names = "--attacker-source",
      defaultValue = "auto",
      description =
          "local address the attackers connect from, so that per-address limits see another"
              + " client than the canary; auto: for a loopback --url, 127.0.0.2 for the ping flood,"
              + " .3 for the storm and .4 for the hold (so that one attack's cool-down does not"
              + " refuse the next), else the default; none: the default (default:"
              + " ${DEFAULT-VALUE})")
  String attackerSource;

  @Option(
      names = "--big-table",
      defaultValue = "bench_abuse_big",
      description = "the large table the attackers snapshot (default: ${DEFAULT-VALUE})")
  String bigTable;

  @Option(
      names = "--big-rows",
      defaultValue = "200000",
      description = "rows of the large table (default: ${DEFAULT-VALUE})")
  int bigRows;

  @Option(
      names = "--payload-bytes",
      defaultValue = "200",
      description = "bytes of filler per row of the large table (default: ${DEFAULT-VALUE})")
  int payloadBytes;

  @Option(
      names = "--small-table",
      defaultValue = "bench_abuse_small",
      description = "the small table the canary snapshots (default: ${DEFAULT-VALUE})")
  String smallTable;

  @Option(
      names = "--small-rows",
      defaultValue = "100",
      description = "rows of the small table (default: ${DEFAULT-VALUE})")
  int smallRows;

  @Option(
      names = "--probe-interval",
      defaultValue = "1",
      description =
          "seconds between the end of one canary snapshot and the next (default: ${DEFAULT-VALUE})")
  double probeInterval;

  @Option(
      names = "--drain",
      defaultValue = "10",
      description =
          "seconds to wait at the end for deliveries still missing (default: ${DEFAULT-VALUE})")
  double drain;

  @Option(
      names = "--target-ratio",
      defaultValue = "2",
      description =
          "PASS when an attack's canary p99 is at most this times the baseline's and every"
              + " change arrived (default: ${DEFAULT-VALUE})")
  double targetRatio;

  @Option(
      names = "--prepare-only",
      description =
          "create and fill the large and small tables, then exit (needs no running Plank; run it"
              + " before starting Plank, which captures only tables that exist at start-up)")
  boolean prepareOnly;

  @Override
  public String name() {
    return "abuse";
  }

  @Override
  public Integer call() throws Exception {
    if (!prepareOnly) return super.call();
    Vertx vertx = Vertx.vertx();
    try {
      PgConnection sql =
          Bench.await(
              PgConnection.connect(vertx, PgConnectOptions.fromUri(common.databaseUrl())),
              30,
              "connecting to the database");
      try {
        prepareTables(sql, new Progress(name()));
      } finally {
        sql.close();
      }
      return 0;
    } catch (BenchException e) {
      System.err.println("plank-bench abuse: " + e.getMessage());
      return 1;
    } finally {
      vertx.close().await();
    }
  }

  private void prepareTables(PgConnection sql, Progress progress) {
    AbuseTables.prepare(sql, Table.parse(bigTable), bigRows, payloadBytes, progress);
    AbuseTables.prepare(sql, Table.parse(smallTable), smallRows, 20, progress);
  }

  @Override
  public Report run(Bench bench) throws Exception {
    Progress progress = bench.progress;
    List<Attack.Kind> kinds = attacks.stream().map(Attack.Kind::of).toList();
    Table big = Table.parse(bigTable);
    Table small = Table.parse(smallTable);
    PgConnection sql = bench.connect();
    try {
      prepareTables(sql, progress);
      for (Table t : List.of(bench.table, big, small)) {
        if (Bench.triggers(sql, t) == 0) {
          throw new BenchException(
              t
                  + " is not captured: create the tables first (abuse --prepare-only), then start"
                  + " Plank with PLANK_TABLES="
                  + bench.table
                  + ","
                  + big
                  + ","
                  + small
                  + " (bench/scripts/abuse.sh does both)");
        }
      }
    } finally {
      sql.close();
    }

    if (rounds < 1) throw new BenchException("--rounds is at least 1, not " + rounds);
    List<AbusePhase> phases = phases(kinds);
    AbusePhase baseline = firstBaseline(phases);
    double planned = 0;
    for (AbusePhase p : phases) planned += seconds(p) + settle;

    // Writes for longer than planned, and is stopped when the last phase ends.
    ChangeWriter writer =
        new ChangeWriter(bench.vertx, bench.pg, bench.table, rate, planned + 60, 0.5);
    Bench.await(writer.prepare(bench.table), 30, "preparing the writer");
    LatencyRecorder tick = new LatencyRecorder();
    DeliveryClock clock =
        new DeliveryClock(
            writer,
            (ack, nanos) -> {
              tick.record(nanos);
              AbusePhase p = AbusePhase.at(phases, ack);
              if (p != null) {
                p.latency.record(nanos);
                p.delivered.increment();
              }
            });
    Receipts receipts = new Receipts(canaries, writer.total(), writer.prefix(), clock);
    String source = attackerSource(bench);

    try (Subscribers subs =
            new Subscribers(bench.vertx, bench.url, bench.table, canaries, List.of(), receipts);
        SnapshotProbe probe =
            new SnapshotProbe(
                bench.vertx, bench.url, small.channel(), "id=lte." + smallRows, probeInterval)) {
      Subscribers.Opened opened = subs.open(canaries, canaries, progress);
      if (opened.subscribed() == 0) {
        throw new BenchException("no canary could subscribe: " + opened.firstError());
      }
      Bench.await(probe.start(), 30, "connecting the snapshot probe");
      progress.line(
          "%d canaries on %s, %.0f changes/s; snapshot probe on %s every %.1f s; attackers"
              + " from %s; %d rounds of phases of %.0f s, %.0f s apart",
          opened.subscribed(),
          bench.table,
          rate,
          small,
          probeInterval,
          source.isEmpty() ? "the default address" : source + " and up",
          rounds,
          phaseSeconds,
          settle);
      Future<Void> writing = writer.start();
      for (int i = 0; i < phases.size(); i++) {
        AbusePhase p = phases.get(i);
        if (i >= 1 && settle > 0) Thread.sleep((long) (settle * 1000));
        runPhase(bench, p, seconds(p), source(source, p.attack), big, tick, clock, probe);
      }
      writer.stop();
      Bench.await(writing, 60, "finishing the writer");
      if (writer.failed() > 0) {
        progress.line("%d writes failed, last: %s", writer.failed(), writer.lastError());
      }

      // Which phase each committed change belongs to, then stragglers.
      for (int n = 0; n < writer.total(); n++) {
        AbusePhase p = AbusePhase.at(phases, writer.ackNanos(n));
        if (p != null) p.committed++;
      }
      long deadline = System.nanoTime() + (long) (drain * 1e9);
      boolean complete =
          Bench.waitUntil(
              () -> {
                clock.settle();
                for (AbusePhase p : phases) {
                  if (p.reported && p.delivered.sum() < p.committed * opened.subscribed()) {
                    return false;
                  }
                }
                return true;
              },
              deadline,
              () -> progress.line("waiting for the canaries' last deliveries"));
      if (!complete) progress.line("drain: gave up after %.0f s", drain);
      long now = System.nanoTime();
      for (AbusePhase p : phases) p.probes = probe.summary(p, now);
      if (subs.closedAfterSubscribe() > 0) {
        progress.line(
            "WARNING: %d canaries were closed by the server, first: %s",
            subs.closedAfterSubscribe(), subs.firstClose());
      }
      if (probe.failure() != null) progress.line("WARNING: %s", probe.failure());
      if (probe.lastRefusal() != null) {
        progress.line("snapshot probes were refused, the last with %s", probe.lastRefusal());
      }
      Bench.await(writer.close(), 10, "closing the writer");
      return report(phases, baseline, opened.subscribed(), subs, writer, source, probe);
    }
  }

  /**
   * The warm-up, each attack cold, then per round a baseline and each attack, and the end baseline.
   */
  private List<AbusePhase> phases(List<Attack.Kind> kinds) {
    List<AbusePhase> phases = new ArrayList<>();
    phases.add(new AbusePhase("warm-up", null, false, 0));
    List<AbusePhase> cold = new ArrayList<>();
    if (coldSeconds > 0) {
      for (Attack.Kind k : kinds) cold.add(new AbusePhase(k.label + " (cold)", k, true, 0));
    }
    phases.addAll(cold);
    AbusePhase first = null;
    for (int r = 1; r <= rounds; r++) {
      String suffix = rounds == 1 ? "" : " #" + r;
      AbusePhase base = new AbusePhase("baseline" + suffix, null, true, r);
      if (first == null) first = base;
      base.reference = base;
      phases.add(base);
      for (Attack.Kind k : kinds) {
        AbusePhase attack = new AbusePhase(k.label + suffix, k, true, r);
        attack.reference = base;
        phases.add(attack);
      }
    }
    for (AbusePhase c : cold) c.reference = first;
    if (!noEndBaseline) {
      AbusePhase end = new AbusePhase("baseline-end", null, true, rounds + 1);
      end.reference = first;
      phases.add(end);
    }
    return phases;
  }

  private static AbusePhase firstBaseline(List<AbusePhase> phases) {
    for (AbusePhase p : phases) if (p.attack == null && p.reported) return p;
    throw new IllegalStateException("no baseline");
  }

  private double seconds(AbusePhase p) {
    if (!p.reported) return warmup;
    return p.isCold() ? coldSeconds : phaseSeconds;
  }

  private void runPhase(
      Bench bench,
      AbusePhase p,
      double seconds,
      String source,
      Table big,
      LatencyRecorder tick,
      DeliveryClock clock,
      SnapshotProbe probe)
      throws InterruptedException {
    Progress progress = bench.progress;
    CpuMeter cpu = bench.cpuMeter();
    CpuMeter tickCpu = bench.cpuMeter();
    Attacker attack = p.attack == null ? null : attack(bench, p.attack, source, big);
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    p.begin(start);
    if (attack != null) attack.start();
    progress.line(
        "phase %s: %.0f s%s%s",
        p.name, seconds, attack == null ? "" : ", " + attack, p.reported ? "" : " (not measured)");
    tick.interval(); // the progress lines show this phase only
    long[] lastSent = {0};
    Bench.waitUntil(
        () -> System.nanoTime() >= end,
        Long.MAX_VALUE,
        () -> {
          clock.settle();
          Histogram h = tick.interval();
          CpuMeter.Usage u = tickCpu.read();
          tickCpu.reset();
          String attacking = "";
          if (attack != null) {
            Attack.Stats s = attack.stats();
            attacking =
                String.format(
                    Locale.ROOT,
                    "; attacker sent %d/s, rate_limited %d, closes %d, connects %d (%d failed)",
                    s.sent() - lastSent[0],
                    s.rateLimited(),
                    s.closes(),
                    s.connects(),
                    s.connectFailures());
            lastSent[0] = s.sent();
          }
          double waiting = probe.waitingMs(System.nanoTime());
          progress.line(
              "%s %.0f s: canary last 1s p50 %s p99 %s max %s ms (%d)%s; snapshot %s ms%s;"
                  + " server CPU %s%%, PG %s%%, bench %s%%",
              p.name,
              (System.nanoTime() - start) / 1e9,
              Fmt.ms(LatencyRecorder.ms(h, 50)),
              Fmt.ms(LatencyRecorder.ms(h, 99)),
              Fmt.ms(LatencyRecorder.maxMs(h)),
              h.getTotalCount(),
              attacking,
              Fmt.ms(probe.lastMs()),
              waiting > 1000 ? " (one waiting " + Fmt.ms(waiting) + " ms)" : "",
              Fmt.num(100 * u.server() / u.wallSeconds(), 0),
              Fmt.num(100 * u.postgres() / u.wallSeconds(), 0),
              Fmt.num(100 * u.bench() / u.wallSeconds(), 0));
        });
    p.finish(System.nanoTime());
    if (attack != null) {
      attack.close();
      p.attackStats = attack.stats();
      if (attack instanceof AttackProcess own) p.attackerCpuSeconds = own.cpu().toMillis() / 1e3;
    }
    p.cpu = cpu.read();
    p.rssAfter = bench.server.rssBytes();
  }

  private Attacker attack(Bench bench, Attack.Kind kind, String source, Table big) {
    String channel =
        switch (kind) {
          case PING_FLOOD -> "";
          case SUBSCRIBE_STORM -> bench.table.channel();
          case SNAPSHOT_HOLD -> big.channel();
        };
    int connections =
        switch (kind) {
          case PING_FLOOD -> pingConnections;
          case SUBSCRIBE_STORM -> stormConnections;
          case SNAPSHOT_HOLD -> holdConnections;
        };
    return switch (attackerJvm) {
      case "same" ->
          new Attack(kind, bench.url, channel, connections, attackerThreads, source, holdSeconds);
      case "own" ->
          new AttackProcess(
              kind,
              bench.url,
              channel,
              connections,
              attackerThreads,
              source,
              holdSeconds,
              attackerNice,
              attackerJavaOpts);
      default -> throw new BenchException("--attacker-jvm is own or same, not " + attackerJvm);
    };
  }

  private String attackerSource(Bench bench) {
    if (attackerSource.equals("none")) return "";
    if (!attackerSource.equals("auto")) return attackerSource;
    String host = bench.url.getHost();
    return host.equals("127.0.0.1") || host.equals("localhost") ? "127.0.0.2" : "";
  }

  /**
   * With --attacker-source auto on loopback, each kind of attack connects from an address of its
   * own: a flooder cut off for its rate cools its address down, which would otherwise refuse the
   * next attack and make it look harmless.
   */
  private String source(String base, Attack.Kind kind) {
    if (kind == null || !attackerSource.equals("auto") || !base.equals("127.0.0.2")) return base;
    return "127.0.0." + (2 + kind.ordinal());
  }

  private Report report(
      List<AbusePhase> phases,
      AbusePhase baseline,
      int subscribed,
      Subscribers subs,
      ChangeWriter writer,
      String source,
      SnapshotProbe probe) {
    double baseP99 = LatencyRecorder.ms(baseline.latency.total(), 99);
    Report report = new Report(name());
    Map<String, Object> params = report.params;
    params.put("canaries", canaries);
    params.put("rate", rate);
    params.put("phase_seconds", phaseSeconds);
    params.put("settle_seconds", settle);
    params.put("warmup_seconds", warmup);
    params.put("attacks", attacks);
    params.put("ping_connections", pingConnections);
    params.put("storm_connections", stormConnections);
    params.put("hold_connections", holdConnections);
    params.put("hold_seconds", holdSeconds);
    params.put("attacker_threads", attackerThreads);
    params.put("attacker_jvm", attackerJvm);
    params.put("attacker_nice", attackerNice);
    params.put("attacker_source", source);
    params.put("big_table", bigTable);
    params.put("big_rows", bigRows);
    params.put("payload_bytes", payloadBytes);
    params.put("small_table", smallTable);
    params.put("small_rows", smallRows);
    params.put("probe_interval_seconds", probeInterval);
    params.put("target_ratio", targetRatio);
    params.put("rounds", rounds);
    params.put("cold_seconds", coldSeconds);

    List<Map<String, String>> rows = new ArrayList<>();
    List<Object> phaseJson = new ArrayList<>();
    for (AbusePhase p : phases) {
      if (!p.reported) continue;
      Histogram h = p.latency.total();
      double p99 = LatencyRecorder.ms(h, 99);
      long expected = p.committed * subscribed;
      double refP99 = LatencyRecorder.ms(p.reference.latency.total(), 99);
      double ratio = refP99 > 0 ? p99 / refP99 : Double.NaN;
      String verdict;
      if (p.reference == p) {
        verdict = "-";
      } else if (p.attack == null) {
        verdict = "drift " + Fmt.times(p99, refP99);
      } else {
        verdict = (p.isCold() ? "cold, not judged: " : "") + phaseVerdict(p, subscribed, ratio);
      }
      Attack.Stats a = p.attackStats;
      SnapshotProbe.Summary s = p.probes;
      rows.add(
          new Report.Row()
              .put("phase", p.name)
              .put("s", Fmt.num(p.seconds(), 0))
              .put("delivered", Fmt.ratio(p.delivered.sum(), expected))
              .put("p50 ms", Fmt.ms(LatencyRecorder.ms(h, 50)))
              .put("p99 ms", Fmt.ms(p99))
              .put("max ms", Fmt.ms(LatencyRecorder.maxMs(h)))
              .put("p99 / baseline", Fmt.times(p99, refP99))
              .put("snapshots", s.completed() + "/" + s.started())
              .put("snapshot p50 ms", Fmt.ms(s.p50Ms()))
              .put("snapshot max ms", Fmt.ms(s.maxMs()))
              .put("attacker connects", a == null ? "-" : String.valueOf(a.connects()))
              .put("attacker sent", a == null ? "-" : String.valueOf(a.sent()))
              .put("rate_limited", a == null ? "-" : String.valueOf(a.rateLimited()))
              .put("closes", a == null ? "-" : String.valueOf(a.closes()))
              .put("server CPU %", Fmt.num(100 * p.cpu.server() / p.cpu.wallSeconds(), 0))
              .put("bench CPU %", Fmt.num(100 * p.cpu.bench() / p.cpu.wallSeconds(), 0))
              .put(
                  "attacker CPU %",
                  p.attackerCpuSeconds < 0
                      ? "-"
                      : Fmt.num(100 * p.attackerCpuSeconds / p.cpu.wallSeconds(), 0))
              .put("verdict", verdict)
              .cells());
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("phase", p.name);
      j.put("round", p.round);
      j.put("attack", p.attack == null ? null : p.attack.label);
      j.put("seconds", Fmt.json(p.seconds()));
      j.put("committed", p.committed);
      j.put("delivered", p.delivered.sum());
      j.put("expected", expected);
      j.put("latency", LatencyRecorder.summary(h));
      j.put("p99_over_baseline", Fmt.json(ratio));
      j.put("verdict", verdict);
      j.put("snapshot_probes", s.json());
      j.put("attacker", a == null ? null : a.json());
      j.put("cpu", p.cpu.toJson());
      j.put(
          "attacker_process_cpu_seconds",
          p.attackerCpuSeconds < 0 ? null : Fmt.json(p.attackerCpuSeconds));
      j.put("server_rss_bytes_after", p.rssAfter);
      phaseJson.add(j);
    }
    report.results.put("canaries_subscribed", subscribed);
    report.results.put("canaries_closed_by_server", subs.closedAfterSubscribe());
    report.results.put("canary_first_close", subs.firstClose());
    report.results.put("changes_committed", writer.acked());
    report.results.put("write_failures", writer.failed());
    report.results.put("snapshot_probe_failure", probe.failure());
    report.results.put("snapshot_probe_last_refusal", probe.lastRefusal());
    report.results.put("baseline_p99_ms", Fmt.json(baseP99));
    report.results.put("phases", phaseJson);
    report.table("Phases, each attack's p99 against its round's baseline", rows);

    // The verdict: per attack, the median over the rounds of its p99 / its round's baseline p99.
    Map<String, String> verdicts = new LinkedHashMap<>();
    Map<String, Object> medians = new LinkedHashMap<>();
    List<Map<String, String>> summary = new ArrayList<>();
    boolean allPass = true;
    for (String attack : attacks) {
      Attack.Kind kind = Attack.Kind.of(attack);
      List<Double> ratios = new ArrayList<>();
      List<String> shown = new ArrayList<>();
      String cold = "-";
      boolean whole = true;
      for (AbusePhase p : phases) {
        if (p.attack != kind || !p.reported) continue;
        double ratio = p99Ratio(p);
        if (p.isCold()) {
          cold = Fmt.num(ratio, 2) + "x";
          continue;
        }
        ratios.add(ratio);
        shown.add(Fmt.num(ratio, 2) + "x");
        // Lost changes, or an attack that never connected, fail the attack whatever its ratio.
        whole &= !phaseVerdict(p, subscribed, ratio).startsWith("FAIL (");
      }
      double median = median(ratios);
      boolean pass = whole && median <= targetRatio;
      allPass &= pass;
      verdicts.put(attack, pass ? "PASS" : "FAIL");
      medians.put(attack, Fmt.json(median));
      summary.add(
          new Report.Row()
              .put("attack", attack)
              .put("cold p99 / baseline (not judged)", cold)
              .put("p99 / baseline, round by round", String.join(", ", shown))
              .put("median", Fmt.num(median, 2) + "x")
              .put(
                  "verdict",
                  pass ? "PASS" : whole ? "FAIL" : "FAIL (lost changes or no attack in a round)")
              .cells());
    }
    report.results.put("median_p99_over_baseline", medians);
    report.results.put("verdicts", verdicts);
    report.results.put("all_pass", allPass);
    report.table(
        String.format(
            Locale.ROOT,
            "Canary p99 under attack within %sx of its round's baseline, median of %d rounds: %s",
            Fmt.num(targetRatio, 1),
            rounds,
            allPass ? "PASS" : "FAIL"),
        summary);
    return report;
  }

  private static double p99Ratio(AbusePhase p) {
    double ref = LatencyRecorder.ms(p.reference.latency.total(), 99);
    return ref > 0 ? LatencyRecorder.ms(p.latency.total(), 99) / ref : Double.NaN;
  }

  /** One attack phase: PASS, or why not. An attack that never connected proves nothing. */
  private String phaseVerdict(AbusePhase p, int subscribed, double ratio) {
    long expected = p.committed * subscribed;
    boolean complete = expected > 0 && p.delivered.sum() >= expected;
    boolean attacked = p.attackStats != null && p.attackStats.connects() > 0;
    if (!attacked) return "FAIL (no attack: could not connect)";
    if (!complete) return "FAIL (lost)";
    return ratio <= targetRatio ? "PASS" : "FAIL";
  }

  private static double median(List<Double> values) {
    if (values.isEmpty()) return Double.NaN;
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
