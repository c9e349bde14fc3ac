package dev.plank.bench;

import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs a scenario from the command line: opens the {@link Bench}, runs, prints and saves the
 * report. A {@link BenchException} ends the run with its message and exit status 1.
 */
abstract class ScenarioCommand implements Scenario, Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Override
  public Integer call() throws Exception {
    Instant started = Instant.now();
    try (Bench bench = Bench.open(common, name())) {
      Report report = run(bench);
      ResultWriter.write(bench, report, started);
      return 0;
    } catch (BenchException e) {
      System.err.println("plank-bench " + name() + ": " + e.getMessage());
      return 1;
    }
  }
}
