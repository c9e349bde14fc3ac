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

  public boolean isAll() {
    return conditions.isEmpty();
  }

  /** One {@code column=op.value} term, with its value already parsed for the column's type. */
  record Condition(String column, Predicate<JsonNode> test) {}
}
