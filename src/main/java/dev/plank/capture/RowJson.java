package dev.plank.capture;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A row as PostgreSQL's {@code to_jsonb} wrote it. The text goes to clients untouched, so numbers
 * keep every digit and nesting is whatever the database allowed; the parsed form exists only for
 * filters that need column values, and is made at most once.
 *
 * <p>Owned by the hub's context once published: {@link #columns()} is called there only.
 */
public final class RowJson {
  private final String json;
  private ObjectNode columns; // parsed on first use

  public RowJson(String json) {
    this.json = json;
  }

  /** The row's JSON text, exactly as the database produced it. */
  public String json() {
    return json;
  }

  /** Its length in UTF-16 units: a cheap bound on its encoded size for flow control. */
  public int length() {
    return json.length();
  }

  /** The row's columns, parsed with numbers kept exact ({@link TrustedJson}). */
  public ObjectNode columns() {
    if (columns == null) columns = parse(json);
    return columns;
  }

  private static ObjectNode parse(String json) {
    try {
      JsonNode node = TrustedJson.MAPPER.readTree(json);
      if (node instanceof ObjectNode object) return object;
      throw new IllegalStateException("a row is not a JSON object");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable row: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public String toString() {
    return json.length() > 200 ? json.substring(0, 200) + "…" : json;
  }
}
