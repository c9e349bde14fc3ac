package dev.plank.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code java -jar bench/target/plank-bench.jar <scenario> [flags]}. */
@Command(
    name = "plank-bench",
    mixinStandardHelpOptions = true,
    version = "plank-bench 0.1.0",
    description = {
      "Benchmarks a running Plank server. It starts no server: start Plank yourself first, e.g.",
      "  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres java -jar target/plank.jar",
      "Each scenario prints progress, then a Markdown table, and writes bench/results/*.json."
    },
    subcommands = {
      FanoutScenario.class,
      ConnectionsScenario.class,
      CaptureScenario.class,
      PollingScenario.class,
      AbuseScenario.class,
      AttackCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
