package dev.plank.hub;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.db.ColumnType;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cases of {@code filter-conformance.json}, shared with the JavaScript client's tests. Rows are
 * read with exact numbers, as PostgreSQL wrote them: 1.50 stays 1.50, 1000 digits stay 1000.
 */
final class FilterConformance {
  static final ObjectMapper EXACT =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNumberLength(Integer.MAX_VALUE).build())
                  .build())
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  static final TableRef TABLE = new TableRef("public", "conformance");

  /** One case: a row and whether it matches, or the text of the refusal. */
  record Case(int index, String filter, ObjectNode row, boolean match, String error, JsonNode raw) {
    boolean refused() {
      return error != null;
    }

    boolean synthetic() {
      return raw.path("synthetic").asBoolean(false);
    }

    @Override
    public String toString() {
      String shown = filter.length() > 60 ? filter.substring(0, 57) + "..." : filter;
      return "#" + index + " " + shown + (refused() ? " refused" : " on " + abbreviated(row));
    }

    private static String abbreviated(JsonNode row) {
      String text = row.toString();
      return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }
  }

  private FilterConformance() {}

  static JsonNode document() {
    try (InputStream in = FilterConformance.class.getResourceAsStream("/filter-conformance.json")) {
      if (in == null) throw new IllegalStateException("filter-conformance.json is not on the path");
      return EXACT.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    int index = 0;
    for (JsonNode c : document().path("cases")) {
      cases.add(
          new Case(
              index++,
              c.path("filter").textValue(),
              c.has("row") ? (ObjectNode) c.get("row") : null,
              c.path("match").asBoolean(false),
              c.has("error") ? c.get("error").textValue() : null,
              c));
    }
    return cases;
  }

  /** Each column's PostgreSQL type, as declared by the suite, in order. */
  static Map<String, String> columnTypes() {
    Map<String, String> types = new LinkedHashMap<>();
    document()
        .path("columns")
        .properties()
        .forEach(e -> types.put(e.getKey(), e.getValue().path("type").textValue()));
    return types;
  }

  /** Each column's filter type, as declared by the suite (the catalog test checks it). */
  static Map<String, ColumnType> kinds() {
    Map<String, ColumnType> kinds = new LinkedHashMap<>();
    document()
        .path("columns")
        .properties()
        .forEach(
            e ->
                kinds.put(
                    e.getKey(),
                    ColumnType.valueOf(
                        e.getValue().path("kind").textValue().toUpperCase(Locale.ROOT))));
    return kinds;
  }

  static TableInfo table() {
    return new TableInfo(TABLE, kinds(), List.of());
  }
}
