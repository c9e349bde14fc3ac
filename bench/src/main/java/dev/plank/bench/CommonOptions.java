package dev.plank.bench;

import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Flags every scenario takes. */
final class CommonOptions {
  static final String DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8000",
      description = "Plank's base URL (default: ${DEFAULT-VALUE}).")
  URI url;

  @Option(
      names = "--database-url",
      description =
          "The database Plank captures, libpq URL form (default: $DATABASE_URL, else "
              + DEFAULT_DATABASE_URL
              + ").")
  String databaseUrl;

  @Option(
      names = "--pid",
      description =
          "Plank's process id, for its CPU time and RSS (default: the process listening on the"
              + " --url port, found through /proc).")
  Long pid;

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
