package dev.plank.bench;

import java.util.regex.Pattern;

/**
 * A table named on the command line: {@code items} or {@code schema.table}. Only plain identifiers
 * are accepted and they are always quoted, so the name never becomes SQL syntax.
 */
record Table(String schema, String name) {
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  static Table parse(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length > 2 || !IDENT.matcher(parts[parts.length - 1]).matches()) {
      throw new BenchException("--table must be 'table' or 'schema.table', got '" + text + "'");
    }
    if (parts.length == 2 && !IDENT.matcher(parts[0]).matches()) {
      throw new BenchException("--table must be 'table' or 'schema.table', got '" + text + "'");
    }
    return parts.length == 2 ? new Table(parts[0], parts[1]) : new Table("public", parts[0]);
  }

  /** The quoted name for SQL text. */
  String sql() {
    return quote(schema) + "." + quote(name);
  }

  /**
   * The WebSocket channel Plank serves this table on: {@code items} for public, else schema.table.
   */
  String channel() {
    return schema.equals("public") ? name : schema + "." + name;
  }

  /** The uncaptured copy the capture scenario compares against. */
  Table plainCopy() {
    return new Table(schema, "bench_" + name + "_plain");
  }

  private static String quote(String ident) {
    return '"' + ident + '"';
  }

  @Override
  public String toString() {
    return channel();
  }
}
