package dev.plank.db;

/**
 * A table by schema and name, as configured or as named by a client. Never turned into SQL text
 * except through {@link #quoted()}, and only after the catalog confirmed it exists.
 */
public record TableRef(String schema, String name) {

  /** Parses {@code table} (schema {@code public}) or {@code schema.table}. */
  public static TableRef parse(String text) {
    int dot = text.indexOf('.');
    return dot < 0
        ? new TableRef("public", text)
        : new TableRef(text.substring(0, dot), text.substring(dot + 1));
  }

  /** The channel name clients use: {@code items} for public tables, else {@code schema.table}. */
  public String channel() {
    return "public".equals(schema) ? name : schema + "." + name;
  }

  public String quoted() {
    return quote(schema) + "." + quote(name);
  }

  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  @Override
  public String toString() {
    return schema + "." + name;
  }
}
