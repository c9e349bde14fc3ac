package dev.plank.bench;

/** One benchmark: drives load against a running Plank and reports what it measured. */
interface Scenario {
  /** The name used on the command line and in result file names. */
  String name();

  /** Runs the benchmark; progress goes to stdout while it runs. */
  Report run(Bench bench) throws Exception;
}
