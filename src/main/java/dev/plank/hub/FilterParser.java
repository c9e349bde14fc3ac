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
 * column name (quoted) and bound parameters: no client text ever becomes SQL text. The cases in
 * {@code src/test/resources/filter-conformance.json} pin the grammar and the answers; the
 * JavaScript client's {@code matchesFilter} runs the same cases.
 */
public final class FilterParser {
  static final int MAX_LENGTH = 2000;
  static final int MAX_CONDITIONS = 20;
  static final int MAX_IN_VALUES = 100;

  private FilterParser() {}

  public static Filter parse(String text, TableInfo table) throws FilterException {
    return parse(text, table, true);
  }

  /**
   * @param revealColumns whether an unknown column's error lists the table's columns: not under a
   *     policy, where the client may see only some rows and need not learn the schema
   */
  @SuppressWarnings("StringSplitter") // its dropping of trailing empty terms is the grammar
  public static Filter parse(String text, TableInfo table, boolean revealColumns)
      throws FilterException {
    if (text == null || text.isBlank()) return Filter.ALL;
    if (text.length() > MAX_LENGTH) {
      throw new FilterException("filter is longer than " + MAX_LENGTH + " characters");
    }
    checkText(text);
    String[] terms = text.split("&"); // String.split drops trailing empty terms: "a=eq.1&" is one
    if (terms.length > MAX_CONDITIONS) {
      throw new FilterException("filter has more than " + MAX_CONDITIONS + " conditions");
    }
    List<Filter.Condition> conditions = new ArrayList<>();
    for (String term : terms) conditions.add(condition(term, table, revealColumns));
    return new Filter(conditions);
  }

  /** PostgreSQL text holds neither U+0000 nor half a surrogate pair, so no row can match one. */
  static void checkText(String text) throws FilterException {
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch == 0) throw new FilterException("filter contains U+0000, which text cannot hold");
      if (Character.isHighSurrogate(ch)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(ch)) {
        throw new FilterException("filter contains an unpaired surrogate, which is not text");
      }
    }
  }

  private static Filter.Condition condition(String term, TableInfo table, boolean revealColumns)
      throws FilterException {
    Split split = split(term);
    List<String> values =
        split.operator().equals("in") ? list(split.value(), term) : List.of(split.value());
    return compile(split.column(), split.operator(), values, table, term, revealColumns);
  }

  /** A term's three parts, not yet checked. */
  record Split(String column, String operator, String value) {}

  static Split split(String term) throws FilterException {
    int eq = term.indexOf('=');
    int dot = term.indexOf('.', eq + 1);
    if (eq <= 0 || dot < 0) {
      throw new FilterException("expected column=operator.value in '" + term + "'");
    }
    return new Split(term.substring(0, eq), term.substring(eq + 1, dot), term.substring(dot + 1));
  }

  /** One condition from its parts, its values already split (an {@code in} list's items). */
  static Filter.Condition compile(
      String column,
      String operator,
      List<String> values,
      TableInfo table,
      String term,
      boolean revealColumns)
      throws FilterException {
    ColumnType type = table.columns().get(column);
    if (type == null) {
      throw new FilterException(
          "unknown column '"
              + column
              + "' in '"
              + term
              + "'"
              + (revealColumns
                  ? " ("
                      + table.ref().channel()
                      + " has "
                      + String.join(", ", table.columns().keySet().stream().sorted().toList())
                      + ")"
                  : ""));
    }
    return new Filter.Condition(
        column,
        predicate(operator, values, type, term),
        FilterSql.term(TableRef.quote(column), operator, values, type));
  }

  private static Predicate<JsonNode> predicate(
      String operator, List<String> values, ColumnType type, String term) throws FilterException {
    return switch (operator) {
      case "eq" -> compare(values, type, term, c -> c == 0);
      case "neq" -> compare(values, type, term, c -> c != 0);
      case "lt" -> compare(values, type, term, c -> c < 0);
      case "lte" -> compare(values, type, term, c -> c <= 0);
      case "gt" -> compare(values, type, term, c -> c > 0);
      case "gte" -> compare(values, type, term, c -> c >= 0);
      case "in" -> in(values, type, term);
      case "is" -> is(values.get(0), term);
      default -> throw new FilterException("unknown operator '" + operator + "' in '" + term + "'");
    };
  }

  private interface Outcome {
    boolean of(int comparison);
  }

  /** Like SQL, a comparison with a missing or null value never holds. */
  private static Predicate<JsonNode> compare(
      List<String> values, ColumnType type, String term, Outcome outcome) throws FilterException {
    Object operand = operand(values.get(0), type, term);
    return node -> {
      Object actual = FilterValues.actual(node, type);
      return actual != null && outcome.of(FilterValues.compare(actual, operand));
    };
  }

  private static Predicate<JsonNode> in(List<String> values, ColumnType type, String term)
      throws FilterException {
    List<Object> operands = new ArrayList<>();
    for (String item : values) operands.add(operand(item, type, term));
    if (operands.size() > MAX_IN_VALUES) {
      throw new FilterException("in has more than " + MAX_IN_VALUES + " values in '" + term + "'");
    }
    return node -> {
      Object actual = FilterValues.actual(node, type);
      if (actual == null) return false;
      for (Object operand : operands) {
        if (FilterValues.compare(actual, operand) == 0) return true;
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

  /**
   * Items of {@code (a,"b,c","say \"hi\"")}, as PostgREST reads them: a value in double quotes may
   * hold commas, and a backslash in it escapes the next character (a quote or a backslash).
   */
  static List<String> list(String value, String term) throws FilterException {
    if (value.length() < 2 || !value.startsWith("(") || !value.endsWith(")")) {
      throw new FilterException("in needs a list like in.(a,b,c) in '" + term + "'");
    }
    String inner = value.substring(1, value.length() - 1);
    List<String> items = new ArrayList<>();
    if (inner.isEmpty()) return items;
    int at = 0;
    while (true) {
      StringBuilder item = new StringBuilder();
      at = inner.startsWith("\"", at) ? quoted(inner, at, item, term) : bare(inner, at, item, term);
      items.add(item.toString());
      if (at == inner.length()) return items;
      at++; // the comma
    }
  }

  /** Reads the quoted item at {@code at}; answers where the comma after it (or the end) is. */
  private static int quoted(String inner, int at, StringBuilder item, String term)
      throws FilterException {
    int i = at + 1;
    while (true) {
      if (i >= inner.length()) {
        throw new FilterException("in list has an unterminated quote in '" + term + "'");
      }
      char ch = inner.charAt(i++);
      if (ch == '"') break;
      if (ch == '\\' && i < inner.length()) ch = inner.charAt(i++);
      item.append(ch);
    }
    if (i < inner.length() && inner.charAt(i) != ',') {
      throw new FilterException("in list has text after a closing quote in '" + term + "'");
    }
    return i;
  }

  private static int bare(String inner, int at, StringBuilder item, String term)
      throws FilterException {
    int i = at;
    while (i < inner.length() && inner.charAt(i) != ',') {
      char ch = inner.charAt(i++);
      if (ch == '"') {
        throw new FilterException(
            "in list has a quote inside an unquoted value (quote the whole value) in '"
                + term
                + "'");
      }
      item.append(ch);
    }
    return i;
  }

  private static Object operand(String value, ColumnType type, String term) throws FilterException {
    return switch (type) {
      case NUMBER -> {
        BigDecimal number = FilterValues.number(value, term);
        if (number == null) {
          throw new FilterException("'" + value + "' is not a number in '" + term + "'");
        }
        yield number;
      }
      case BOOLEAN -> {
        if (!value.equals("true") && !value.equals("false")) {
          throw new FilterException("'" + value + "' is not true or false in '" + term + "'");
        }
        yield Boolean.valueOf(value);
      }
      case TEXT -> value;
    };
  }
}
