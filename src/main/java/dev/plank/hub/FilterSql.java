package dev.plank.hub;

import dev.plank.db.ColumnType;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL form of one filter condition, with the same meaning as its Java form in {@link
 * FilterParser}: numbers compare as numeric, booleans as boolean, everything else as the text of
 * its JSON value in code-point order. Called only after the Java form accepted the term.
 */
final class FilterSql {
  private FilterSql() {}

  static Filter.SqlTerm term(String quotedColumn, String operator, String value, ColumnType type) {
    String column = "t." + quotedColumn;
    return switch (operator) {
      case "is" -> is(column, value);
      case "in" -> in(column, value, type);
      default -> comparison(column, symbol(operator), value, type);
    };
  }

  private static Filter.SqlTerm comparison(
      String column, String symbol, String value, ColumnType type) {
    if (type == ColumnType.TEXT && !symbol.equals("=") && !symbol.equals("<>")) {
      // Java orders strings by UTF-16 unit, SQL by code point; they differ above U+FFFF. The Java
      // filter, which runs on every row anyway, decides text ranges alone.
      return new Filter.SqlTerm("TRUE", List.of());
    }
    return new Filter.SqlTerm(
        operand(column, type) + " " + symbol + " " + param(type), List.of(value));
  }

  private static Filter.SqlTerm in(String column, String list, ColumnType type) {
    List<String> values = FilterParser.splitList(list.substring(1, list.length() - 1));
    if (values.isEmpty()) return new Filter.SqlTerm("FALSE", List.of());
    List<String> alternatives = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      alternatives.add(operand(column, type) + " = " + param(type));
    }
    return new Filter.SqlTerm(String.join(" OR ", alternatives), values);
  }

  private static Filter.SqlTerm is(String column, String value) {
    return new Filter.SqlTerm(
        switch (value) {
          case "null" -> column + " IS NULL";
          case "true" -> "to_jsonb(" + column + ") = 'true'::jsonb";
          default -> "to_jsonb(" + column + ") = 'false'::jsonb";
        },
        List.of());
  }

  private static String operand(String column, ColumnType type) {
    return switch (type) {
      case NUMBER -> column + "::numeric";
      case BOOLEAN -> column;
      case TEXT -> "(to_jsonb(" + column + ") #>> '{}') COLLATE \"C\"";
    };
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
