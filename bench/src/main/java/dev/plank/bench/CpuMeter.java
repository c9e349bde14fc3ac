package dev.plank.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU seconds spent over an interval by Plank (summed over its nodes), by the PostgreSQL cluster
 * and by this load generator (which shares the machine, so its share is worth knowing). Every
 * scenario measures all three the same way, so their numbers compare.
 */
final class CpuMeter {
  /** CPU seconds over an interval; {@code server} is NaN when Plank's pid is unknown. */
  record Usage(
      double wallSeconds, double server, double postgres, double postgresDatabase, double bench) {
    /** Plank and PostgreSQL together: the load the architecture puts on the machine. */
    double total() {
      return server + postgres;
    }

    Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("wall_seconds", Fmt.json(wallSeconds));
      m.put("server_cpu_seconds", Fmt.json(server));
      m.put("postgres_cpu_seconds", Fmt.json(postgres));
      m.put("postgres_database_backends_cpu_seconds", Fmt.json(postgresDatabase));
      m.put("bench_cpu_seconds", Fmt.json(bench));
      return m;
    }
  }

  private final List<Long> serverPids;
  private final String database;
  private final long self = ProcessHandle.current().pid();
  private long startNanos;
  private long serverTicks;
  private long postgresTicks;
  private long benchTicks;
  private Map<Long, Long> databaseTicks;

  private CpuMeter(List<Long> serverPids, String database) {
    this.serverPids = serverPids;
    this.database = database;
  }

  /**
   * Starts measuring now; {@code serverPids} are the nodes' pids (null when unknown); {@code
   * database} names the database whose backends are also measured on their own.
   */
  static CpuMeter start(List<Long> serverPids, String database) {
    CpuMeter meter = new CpuMeter(serverPids, database);
    meter.reset();
    return meter;
  }

  /** Starts a new interval from now. */
  void reset() {
    startNanos = System.nanoTime();
    serverTicks = serverTicks();
    postgresTicks = ProcessStats.postgresCpu().ticks();
    benchTicks = ProcessStats.cpuTicks(self).orElse(0);
    databaseTicks = ProcessStats.databaseBackendTicks(database);
  }

  /** CPU seconds since the start (or the last reset); the meter keeps running. */
  Usage read() {
    double wall = (System.nanoTime() - startNanos) / 1e9;
    double server =
        serverPids == null ? Double.NaN : (serverTicks() - serverTicks) / ProcessStats.CLK_TCK;
    double postgres = (ProcessStats.postgresCpu().ticks() - postgresTicks) / ProcessStats.CLK_TCK;
    double bench = (ProcessStats.cpuTicks(self).orElse(0) - benchTicks) / ProcessStats.CLK_TCK;
    // Per backend: one that started during the interval counts whole, one that ended is lost
    // (its time cannot be told apart from other databases' in the postmaster's cutime).
    long dbTicks = 0;
    for (Map.Entry<Long, Long> e : ProcessStats.databaseBackendTicks(database).entrySet()) {
      dbTicks += e.getValue() - databaseTicks.getOrDefault(e.getKey(), 0L);
    }
    return new Usage(wall, server, postgres, dbTicks / ProcessStats.CLK_TCK, bench);
  }

  private long serverTicks() {
    if (serverPids == null) return 0;
    long sum = 0;
    for (long pid : serverPids) sum += ProcessStats.cpuTicks(pid).orElse(0);
    return sum;
  }
}
