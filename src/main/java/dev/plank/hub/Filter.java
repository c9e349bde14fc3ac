package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.function.Predicate;

/** A compiled row filter: every condition must hold (AND). Immutable, so any thread may use it. */
public final class Filter {
  public static final Filter ALL = new Filter(List.of());

  private final List<Condition> conditions;

  Filter(List<Condition> conditions) {
    this.conditions = List.copyOf(conditions);
  }

  public boolean matches(ObjectNode row) {
    if (row == null) return conditions.isEmpty();
    for (Condition condition : conditions) {
      if (!condition.test().test(row.get(condition.column()))) return false;
    }
    return true;
  }

  /** Both filters: a row must pass every condition of each. */
  public Filter and(Filter other) {
    if (other.isAll()) return this;
    if (isAll()) return other;
    List<Condition> both = new java.util.ArrayList<>(conditions);
    both.addAll(other.conditions);
    return new Filter(both);
  }

  public boolean isAll() {
    return conditions.isEmpty();
  }

  /**
   * The filter as a SQL condition on a table aliased {@code t}: quoted, catalog-checked column
   * names, and every value a bound parameter appended to {@code params}. For the rows PostgreSQL's
   * {@code to_jsonb} writes, it admits exactly the rows {@link #matches} accepts (the conformance
   * suite checks this against a real server). Readers still check {@link #matches} too: a type
   * whose cast differs from its JSON form (money, say) may be admitted here and refused there,
   * never the reverse.
   */
  public String toSql(List<Object> params) {
    if (conditions.isEmpty()) return "TRUE";
    StringBuilder sql = new StringBuilder();
    for (Condition condition : conditions) {
      if (sql.length() > 0) sql.append(" AND ");
      sql.append('(').append(condition.sql().render(params)).append(')');
    }
    return sql.toString();
  }

  /** One {@code column=op.value} term, with its value already parsed for the column's type. */
  record Condition(String column, Predicate<JsonNode> test, SqlTerm sql) {}

  /** A condition's SQL: {@code ?} marks stand for the values, bound in order. */
  record SqlTerm(String template, List<String> values) {
    SqlTerm {
      values = List.copyOf(values);
    }

    String render(List<Object> params) {
      StringBuilder out = new StringBuilder();
      int next = 0;
      for (int i = 0; i < template.length(); i++) {
        char ch = template.charAt(i);
        if (ch != '?') {
          out.append(ch);
          continue;
        }
        params.add(values.get(next++));
        out.append('$').append(params.size());
      }
      return out.toString();
    }
  }
}
