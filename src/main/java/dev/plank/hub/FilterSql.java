package dev.plank.hub;

import dev.plank.db.ColumnType;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL form of one filter condition, with the same meaning as its Java form in {@link
 * FilterParser} and {@link FilterValues}: numbers compare as numeric, booleans as boolean,
 * everything else as the jsonb text of its value under {@code COLLATE "C"} (code-point order).
 * Called only after the Java form accepted the term, so every value is valid for its column.
 */
final class FilterSql {
  private FilterSql() {}

  static Filter.SqlTerm term(
      String quotedColumn, String operator, List<String> values, ColumnType type) {
    String column = "t." + quotedColumn;
    return switch (operator) {
      case "is" -> is(column, values.get(0));
      case "in" -> in(column, values, type);
      default -> comparison(column, symbol(operator), values.get(0), type);
    };
  }

  private static Filter.SqlTerm comparison(
      String column, String symbol, String value, ColumnType type) {
    return new Filter.SqlTerm(
        operand(column, type) + " " + symbol + " " + param(type), List.of(value));
  }

  private static Filter.SqlTerm in(String column, List<String> values, ColumnType type) {
    if (values.isEmpty()) return new Filter.SqlTerm("FALSE", List.of());
    List<String> alternatives = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      alternatives.add(operand(column, type) + " = " + param(type));
    }
    return new Filter.SqlTerm(String.join(" OR ", alternatives), values);
  }

  /** A json or jsonb column may hold JSON null, which is not SQL NULL but reaches Java as null. */
  private static Filter.SqlTerm is(String column, String value) {
    return new Filter.SqlTerm(
        switch (value) {
          case "null" -> column + " IS NULL OR to_jsonb(" + column + ") = 'null'::jsonb";
          case "true" -> "to_jsonb(" + column + ") = 'true'::jsonb";
          default -> "to_jsonb(" + column + ") = 'false'::jsonb";
        },
        List.of());
  }

  private static String operand(String column, ColumnType type) {
    return switch (type) {
      case NUMBER -> number(column);
      case BOOLEAN -> column;
      case TEXT -> "(to_jsonb(" + column + ") #>> '{}') COLLATE \"C\"";
    };
  }

  /**
   * The column's value as Java sees it, from its JSON form: a plain {@code ::numeric} cast would
   * round a float8 to 15 digits (0.30000000000000004 becomes 0.3) and fail on money.
   */
  private static String number(String column) {
    String json = "to_jsonb(" + column + ")";
    return "(CASE WHEN jsonb_typeof("
        + json
        + ") = 'number' THEN "
        + json
        + "::numeric WHEN ("
        + json
        + " #>> '{}') IN ('NaN', 'Infinity', '-Infinity') THEN ("
        + json
        + " #>> '{}')::numeric END)";
  }

  /** Values are bound as text and cast in SQL, so the driver never guesses a type. */
  private static String param(ColumnType type) {
    return switch (type) {
      case NUMBER -> "?::text::numeric";
      case BOOLEAN -> "?::text::boolean";
      case TEXT -> "?::text";
    };
  }

  private static String symbol(String operator) {
    return switch (operator) {
      case "eq" -> "=";
      case "neq" -> "<>";
      case "lt" -> "<";
      case "lte" -> "<=";
      case "gt" -> ">";
      default -> ">=";
    };
  }
}
