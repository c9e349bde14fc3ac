package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.db.ColumnType;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Compiles a PostgREST-style filter ({@code value=gt.10&name=eq.a}) against a table's columns,
 * once, at subscribe time. Values are parsed for the column's type here, so that matching a change
 * is only comparisons. For snapshots the same filter is also SQL, built from the catalog-checked
 * column name (quoted) and bound parameters: no client text ever becomes SQL text.
 */
public final class FilterParser {
  static final int MAX_LENGTH = 2000;
  static final int MAX_CONDITIONS = 20;
  static final int MAX_IN_VALUES = 100;

  private FilterParser() {}

  public static Filter parse(String text, TableInfo table) throws FilterException {
    if (text == null || text.isBlank()) return Filter.ALL;
    if (text.length() > MAX_LENGTH) {
      throw new FilterException("filter is longer than " + MAX_LENGTH + " characters");
    }
    String[] terms = text.split("&");
    if (terms.length > MAX_CONDITIONS) {
      throw new FilterException("filter has more than " + MAX_CONDITIONS + " conditions");
    }
    List<Filter.Condition> conditions = new ArrayList<>();
    for (String term : terms) conditions.add(condition(term, table));
    return new Filter(conditions);
  }

  private static Filter.Condition condition(String term, TableInfo table) throws FilterException {
    int eq = term.indexOf('=');
    int dot = term.indexOf('.', eq + 1);
    if (eq <= 0 || dot < 0) {
      throw new FilterException("expected column=operator.value in '" + term + "'");
    }
    String column = term.substring(0, eq);
    String operator = term.substring(eq + 1, dot);
    String value = term.substring(dot + 1);
    ColumnType type = table.columns().get(column);
    if (type == null) {
      throw new FilterException(
          "unknown column '"
              + column
              + "' in '"
              + term
              + "' ("
              + table.ref().channel()
              + " has "
              + String.join(", ", table.columns().keySet())
              + ")");
    }
    return new Filter.Condition(
        column,
        predicate(operator, value, type, term),
        FilterSql.term(TableRef.quote(column), operator, value, type));
  }

  private static Predicate<JsonNode> predicate(
      String operator, String value, ColumnType type, String term) throws FilterException {
    return switch (operator) {
      case "eq" -> compare(value, type, term, c -> c == 0);
      case "neq" -> compare(value, type, term, c -> c != 0);
      case "lt" -> compare(value, type, term, c -> c < 0);
      case "lte" -> compare(value, type, term, c -> c <= 0);
      case "gt" -> compare(value, type, term, c -> c > 0);
      case "gte" -> compare(value, type, term, c -> c >= 0);
      case "in" -> in(value, type, term);
      case "is" -> is(value, term);
      default -> throw new FilterException("unknown operator '" + operator + "' in '" + term + "'");
    };
  }

  private interface Outcome {
    boolean of(int comparison);
  }

  /** Like SQL, a comparison with a missing or null value never holds. */
  private static Predicate<JsonNode> compare(
      String value, ColumnType type, String term, Outcome outcome) throws FilterException {
    Comparable<Object> operand = operand(value, type, term);
    return node -> {
      Object actual = actual(node, type);
      return actual != null && outcome.of(compareTo(actual, operand));
    };
  }

  private static Predicate<JsonNode> in(String value, ColumnType type, String term)
      throws FilterException {
    if (!value.startsWith("(") || !value.endsWith(")")) {
      throw new FilterException("in needs a list like in.(a,b,c) in '" + term + "'");
    }
    String inner = value.substring(1, value.length() - 1);
    List<Comparable<Object>> operands = new ArrayList<>();
    for (String item : splitList(inner)) operands.add(operand(item, type, term));
    if (operands.size() > MAX_IN_VALUES) {
      throw new FilterException("in has more than " + MAX_IN_VALUES + " values in '" + term + "'");
    }
    return node -> {
      Object actual = actual(node, type);
      if (actual == null) return false;
      for (Comparable<Object> operand : operands) {
        if (compareTo(actual, operand) == 0) return true;
      }
      return false;
    };
  }

  private static Predicate<JsonNode> is(String value, String term) throws FilterException {
    return switch (value) {
      case "null" -> node -> node == null || node.isNull();
      case "true" -> node -> node != null && node.isBoolean() && node.booleanValue();
      case "false" -> node -> node != null && node.isBoolean() && !node.booleanValue();
      default ->
          throw new FilterException(
              "is takes null, true or false (got '" + value + "') in '" + term + "'");
    };
  }

  /** Items of {@code a,b,"c,d"}: double quotes protect commas. */
  static List<String> splitList(String inner) {
    List<String> items = new ArrayList<>();
    if (inner.isEmpty()) return items;
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (char ch : inner.toCharArray()) {
      if (ch == '"') {
        quoted = !quoted;
      } else if (ch == ',' && !quoted) {
        items.add(current.toString());
        current.setLength(0);
      } else {
        current.append(ch);
      }
    }
    items.add(current.toString());
    return items;
  }

  @SuppressWarnings("unchecked")
  private static Comparable<Object> operand(String value, ColumnType type, String term)
      throws FilterException {
    return (Comparable<Object>)
        (Comparable<?>)
            switch (type) {
              case NUMBER -> {
                try {
                  yield new BigDecimal(value);
                } catch (NumberFormatException e) {
                  throw new FilterException("'" + value + "' is not a number in '" + term + "'");
                }
              }
              case BOOLEAN -> {
                if (!value.equals("true") && !value.equals("false")) {
                  throw new FilterException(
                      "'" + value + "' is not true or false in '" + term + "'");
                }
                yield Boolean.valueOf(value);
              }
              case TEXT -> value;
            };
  }

  /** The row's value as the same Java type as the operand, or null when it cannot compare. */
  private static Object actual(JsonNode node, ColumnType type) {
    if (node == null || node.isNull()) return null;
    return switch (type) {
      case NUMBER -> node.isNumber() ? node.decimalValue() : parseDecimal(node.asText());
      case BOOLEAN -> node.isBoolean() ? node.booleanValue() : null;
      case TEXT -> node.isTextual() ? node.textValue() : node.toString();
    };
  }

  private static BigDecimal parseDecimal(String text) {
    try {
      return new BigDecimal(text);
    } catch (NumberFormatException e) {
      return null; // NaN or Infinity in a numeric column: no comparison holds
    }
  }

  private static int compareTo(Object actual, Comparable<Object> operand) {
    return -Integer.signum(operand.compareTo(actual));
  }
}
