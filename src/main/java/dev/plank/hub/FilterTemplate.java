package dev.plank.hub;

import dev.plank.db.TableInfo;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A policy's bound filter, in the subscribe filter language, whose values may name token claims
 * ({@code user_id=eq.{sub}}). It is split into terms, operators and {@code in} items once, when the
 * policy loads; a claim's value is put into the already-split values, so no claim (one holding
 * {@code &}, {@code ,}, {@code )} or quotes) can add, drop or change a condition. Immutable.
 */
public final class FilterTemplate {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_.:-]+)\\}");
  private static final Set<String> OPERATORS =
      Set.of("eq", "neq", "lt", "lte", "gt", "gte", "in", "is");

  /** One {@code column=op.value} term; {@code values} still hold their placeholders. */
  private record Term(String column, String operator, List<String> values, String text) {}

  private final List<Term> terms;

  private FilterTemplate(List<Term> terms) {
    this.terms = List.copyOf(terms);
  }

  /** Checks the rule's syntax; the columns are checked against a table when it is bound. */
  @SuppressWarnings("StringSplitter") // the same split as FilterParser's
  public static FilterTemplate parse(String text) throws FilterException {
    if (text == null || text.isBlank()) throw new FilterException("the filter is empty");
    if (text.length() > FilterParser.MAX_LENGTH) {
      throw new FilterException("filter is longer than " + FilterParser.MAX_LENGTH + " characters");
    }
    FilterParser.checkText(text);
    String[] parts = text.split("&");
    if (parts.length > FilterParser.MAX_CONDITIONS) {
      throw new FilterException("filter has more than " + FilterParser.MAX_CONDITIONS + " terms");
    }
    List<Term> terms = new ArrayList<>();
    for (String part : parts) {
      FilterParser.Split split = FilterParser.split(part);
      if (split.column().isEmpty() || hasBrace(split.column())) {
        throw new FilterException("a column name cannot be a claim in '" + part + "'");
      }
      if (!OPERATORS.contains(split.operator())) {
        throw new FilterException("unknown operator '" + split.operator() + "' in '" + part + "'");
      }
      List<String> values =
          split.operator().equals("in")
              ? FilterParser.list(split.value(), part)
              : List.of(split.value());
      for (String value : values) checkPlaceholders(value, part);
      if (split.operator().equals("is")
          && !Set.of("null", "true", "false").contains(values.get(0))) {
        throw new FilterException("is takes null, true or false in '" + part + "'");
      }
      terms.add(new Term(split.column(), split.operator(), values, part));
    }
    return new FilterTemplate(terms);
  }

  /** The columns the rule names, to check once against the table. */
  public Set<String> columns() {
    Set<String> columns = new LinkedHashSet<>();
    for (Term term : terms) columns.add(term.column());
    return columns;
  }

  /**
   * The rule for one token, compiled for the table.
   *
   * @param claims the token's claims; a placeholder whose claim is missing or not a string, number
   *     or boolean fails
   * @throws FilterException when the rule cannot hold for this token or table: deny
   */
  public Filter bind(TableInfo table, Map<String, Object> claims) throws FilterException {
    List<Filter.Condition> conditions = new ArrayList<>();
    for (Term term : terms) {
      List<String> values = new ArrayList<>(term.values().size());
      for (String value : term.values()) values.add(substitute(value, claims));
      conditions.add(
          FilterParser.compile(term.column(), term.operator(), values, table, term.text(), false));
    }
    return new Filter(conditions);
  }

  private static String substitute(String value, Map<String, Object> claims)
      throws FilterException {
    if (value.indexOf('{') < 0) return value;
    Matcher m = PLACEHOLDER.matcher(value);
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (m.find()) {
      out.append(value, at, m.start()).append(scalar(claims.get(m.group(1)), m.group(1)));
      at = m.end();
    }
    return out.append(value, at, value.length()).toString();
  }

  /** A claim as filter text: only single values, so a list cannot widen an {@code eq}. */
  private static String scalar(Object claim, String name) throws FilterException {
    if (claim instanceof String s) return s;
    if (claim instanceof Boolean
        || claim instanceof Integer
        || claim instanceof Long
        || claim instanceof Short
        || claim instanceof BigInteger) {
      return claim.toString();
    }
    if (claim instanceof BigDecimal d) return d.toPlainString();
    if (claim instanceof Double d && Double.isFinite(d))
      return BigDecimal.valueOf(d).toPlainString();
    if (claim instanceof Float f && Float.isFinite(f)) return Float.toString(f);
    throw new FilterException(
        claim == null ? "claim '" + name + "' is missing" : "claim '" + name + "' is not a scalar");
  }

  /** Every brace must belong to a well-formed {@code {claim}}. */
  private static void checkPlaceholders(String value, String term) throws FilterException {
    if (hasBrace(PLACEHOLDER.matcher(value).replaceAll(""))) {
      throw new FilterException("a brace that is not a {claim} in '" + term + "'");
    }
  }

  private static boolean hasBrace(String text) {
    return text.indexOf('{') >= 0 || text.indexOf('}') >= 0;
  }
}
