package dev.plank.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Flags every scenario takes. */
final class CommonOptions {
  static final String DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8000",
      split = ",",
      description =
          "Plank's base URL (default: ${DEFAULT-VALUE}). fanout takes several (repeat the flag or"
              + " separate them with commas): the nodes of one cluster, which its clients are"
              + " spread over round-robin.")
  List<URI> urls;

  @Option(
      names = "--database-url",
      description =
          "The database Plank captures, libpq URL form (default: $DATABASE_URL, else "
              + DEFAULT_DATABASE_URL
              + ").")
  String databaseUrl;

  @Option(
      names = "--pid",
      split = ",",
      description =
          "Plank's process id, for its CPU time and RSS (default: the process listening on the"
              + " --url port, found through /proc). With several --url, one per URL, in the"
              + " same order (repeat the flag or separate them with commas).")
  List<Long> pids;

  @Option(
      names = "--table",
      defaultValue = "items",
      description =
          "Captured table to write and subscribe to, shaped like items (name text, value"
              + " integer, updated_at timestamptz) (default: ${DEFAULT-VALUE}).")
  String table;

  @Option(
      names = "--results-dir",
      description = "Where the JSON results go (default: bench/results beside the jar).")
  Path resultsDir;

  String databaseUrl() {
    if (databaseUrl != null && !databaseUrl.isBlank()) return databaseUrl;
    String env = System.getenv("DATABASE_URL");
    return env != null && !env.isBlank() ? env : DEFAULT_DATABASE_URL;
  }
}
