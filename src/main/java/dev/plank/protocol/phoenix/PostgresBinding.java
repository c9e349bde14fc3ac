package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.Change;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Set;

/**
 * One {@code postgres_changes} entry of a join's config, as the client wrote it (the join reply
 * must echo it exactly, or realtime-js reports a binding mismatch).
 *
 * @param event {@code *}, {@code INSERT}, {@code UPDATE} or {@code DELETE}, as the client spelled
 *     it
 * @param schema a schema name, or {@code *} for every captured schema
 * @param table a table name, or null (or {@code *}) for every captured table of the schema
 * @param filter a PostgREST filter ({@code column=op.value}), or null
 * @param id the id the server announces and puts on each change: the same for the same binding on
 *     every connection and node, as Supabase's, so that one encoding serves them all
 */
record PostgresBinding(String event, String schema, String table, String filter, int id) {

  /**
   * Reads one entry.
   *
   * @throws IllegalArgumentException with the refusal for a malformed one
   */
  static PostgresBinding of(JsonNode entry) {
    if (entry == null || !entry.isObject()) {
      throw new IllegalArgumentException("each postgres_changes entry must be an object");
    }
    String event = text(entry, "event");
    String schema = text(entry, "schema");
    String table = text(entry, "table");
    String filter = text(entry, "filter");
    if (event == null) throw new IllegalArgumentException("postgres_changes needs an 'event'");
    if (!Set.of("*", "INSERT", "UPDATE", "DELETE").contains(event.toUpperCase(Locale.ROOT))) {
      throw new IllegalArgumentException(
          "postgres_changes event must be *, INSERT, UPDATE or DELETE, not '" + event + "'");
    }
    if (schema == null || schema.isEmpty()) {
      throw new IllegalArgumentException("postgres_changes needs a 'schema'");
    }
    if (filter != null && filter.isEmpty()) filter = null;
    return new PostgresBinding(event, schema, table, filter, idOf(event, schema, table, filter));
  }

  private static String text(JsonNode entry, String field) {
    JsonNode value = entry.get(field);
    if (value == null || value.isNull()) return null;
    if (!value.isTextual()) {
      throw new IllegalArgumentException("postgres_changes '" + field + "' must be a string");
    }
    return value.asText();
  }

  /** The events to subscribe to: none listed means every one. */
  Set<Change.Op> events() {
    return switch (event.toUpperCase(Locale.ROOT)) {
      case "INSERT" -> Set.of(Change.Op.INSERT);
      case "UPDATE" -> Set.of(Change.Op.UPDATE);
      case "DELETE" -> Set.of(Change.Op.DELETE);
      default -> Set.of(Change.Op.INSERT, Change.Op.UPDATE, Change.Op.DELETE);
    };
  }

  /** Whether it names one table rather than every table of a schema (or of all). */
  boolean namesOneTable() {
    return !"*".equals(schema) && table != null && !table.isEmpty() && !"*".equals(table);
  }

  /** A stable 27-bit id (Supabase's are {@code phash2}: the same range), from the binding alone. */
  private static int idOf(String event, String schema, String table, String filter) {
    String key = event + '\0' + schema + '\0' + table + '\0' + filter;
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      int value =
          ((digest[0] & 0xff) << 24)
              | ((digest[1] & 0xff) << 16)
              | ((digest[2] & 0xff) << 8)
              | (digest[3] & 0xff);
      return (value & 0x7ffffff) | 1; // never 0: the client treats a falsy id as no id
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JVM has SHA-256
    }
  }
}
