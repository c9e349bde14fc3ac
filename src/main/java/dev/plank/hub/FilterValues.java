package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.db.ColumnType;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a filter reads a row's value and orders it against an operand: PostgreSQL's rules, so that
 * the in-memory match and the snapshot SQL ({@link FilterSql}) give the same answer. Numbers
 * compare as {@code numeric} (exact; NaN and Infinity above every number, -Infinity below), text as
 * under {@code COLLATE "C"} (by code point), and a non-text value in a text column as its {@code
 * jsonb} text. Stateless.
 */
final class FilterValues {
  /** What PostgreSQL's numeric input accepts, less its spaces, NaN, Infinity and non-ASCII. */
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");

  /** PostgreSQL numeric's limits: digits before and after the decimal point. */
  private static final int MAX_INTEGER_DIGITS = 131072;

  private static final int MAX_SCALE = 16383;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** A numeric that is not a number: above (NaN, Infinity) or below (-Infinity) every number. */
  private enum Unbounded {
    BELOW,
    ABOVE
  }

  private FilterValues() {}

  /** The operand's number, or null when the text is not one; throws when numeric cannot hold it. */
  static BigDecimal number(String text, String term) throws FilterException {
    if (!NUMBER.matcher(text).matches()) return null;
    BigDecimal value;
    try {
      value = new BigDecimal(text);
    } catch (NumberFormatException e) {
      value = null; // the syntax is right, so the exponent is beyond an int
    }
    if (value == null
        || value.scale() > MAX_SCALE
        || value.precision() - value.scale() > MAX_INTEGER_DIGITS) {
      throw new FilterException(
          "'" + text + "' is out of range for PostgreSQL's numeric in '" + term + "'");
    }
    return value;
  }

  /** The row's value, comparable with an operand of the column's type, or null: no comparison. */
  static Object actual(JsonNode node, ColumnType type) {
    if (node == null || node.isNull()) return null;
    return switch (type) {
      case NUMBER -> number(node);
      case BOOLEAN -> node.isBoolean() ? node.booleanValue() : null;
      case TEXT -> node.isTextual() ? node.textValue() : jsonbText(node);
    };
  }

  /** Compares a value from {@link #actual} with an operand of the same column. */
  static int compare(Object actual, Object operand) {
    if (actual instanceof String text) return compareCodePoints(text, (String) operand);
    if (actual instanceof BigDecimal number) return number.compareTo((BigDecimal) operand);
    if (actual instanceof Boolean bool) return bool.compareTo((Boolean) operand);
    return actual == Unbounded.BELOW ? -1 : 1;
  }

  /**
   * Orders strings by code point, as PostgreSQL orders UTF-8 text under {@code COLLATE "C"}. UTF-16
   * order differs only where a surrogate meets a unit from U+E000 to U+FFFF, so only that pair is
   * remapped.
   */
  static int compareCodePoints(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) return codePointRank(x) - codePointRank(y);
    }
    return a.length() - b.length();
  }

  private static int codePointRank(char unit) {
    if (unit >= 0xE000) return unit - 0x800;
    if (unit >= 0xD800) return unit + 0x2000;
    return unit;
  }

  /**
   * A number column's value: to_jsonb writes every number as a JSON number, except NaN and
   * ±Infinity, which it writes as strings. Any other string (a money amount, a regclass name)
   * compares with nothing, as in {@link FilterSql}.
   */
  private static Object number(JsonNode node) {
    if (node.isNumber()) {
      if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
        return node.doubleValue() < 0 ? Unbounded.BELOW : Unbounded.ABOVE;
      }
      return node.decimalValue();
    }
    return switch (node.isTextual() ? node.textValue() : "") {
      case "NaN", "Infinity" -> Unbounded.ABOVE;
      case "-Infinity" -> Unbounded.BELOW;
      default -> null;
    };
  }

  /** What {@code to_jsonb(value) #>> '{}'} answers: jsonb's text form, a string unquoted. */
  static String jsonbText(JsonNode node) {
    if (node.isTextual()) return node.textValue();
    StringBuilder out = new StringBuilder();
    appendJsonb(node, out);
    return out.toString();
  }

  private static void appendJsonb(JsonNode node, StringBuilder out) {
    if (node.isTextual()) {
      appendQuoted(node.textValue(), out);
    } else if (node.isNumber()) {
      BigDecimal number = node.decimalValue();
      out.append((number.scale() < 0 ? number.setScale(0) : number).toPlainString());
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) out.append(", ");
        appendJsonb(node.get(i), out);
      }
      out.append(']');
    } else if (node.isObject()) {
      appendObject(node, out);
    } else {
      out.append(node.asText()); // true, false, null
    }
  }

  /** jsonb keeps an object's keys shorter first, then by their UTF-8 bytes. */
  private static void appendObject(JsonNode node, StringBuilder out) {
    List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.properties());
    fields.sort((x, y) -> compareJsonbKeys(x.getKey(), y.getKey()));
    out.append('{');
    for (int i = 0; i < fields.size(); i++) {
      if (i > 0) out.append(", ");
      appendQuoted(fields.get(i).getKey(), out);
      out.append(": ");
      appendJsonb(fields.get(i).getValue(), out);
    }
    out.append('}');
  }

  private static int compareJsonbKeys(String a, String b) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] y = b.getBytes(StandardCharsets.UTF_8);
    return x.length != y.length ? x.length - y.length : Arrays.compareUnsigned(x, y);
  }

  /** A string as jsonb writes it: only quote, backslash and control characters escaped. */
  private static void appendQuoted(String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      switch (ch) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (ch < 0x20) out.append("\\u00").append(HEX[ch >> 4]).append(HEX[ch & 0xF]);
          else out.append(ch);
        }
      }
    }
    out.append('"');
  }
}
