package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.plank.db.TableInfo;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The Java parser and in-memory matcher give every answer of {@code filter-conformance.json}. */
class FilterConformanceTest {
  private static final TableInfo TABLE = FilterConformance.table();

  @TestFactory
  Stream<DynamicTest> everyCase() {
    return FilterConformance.cases().stream().map(c -> dynamicTest(c.toString(), () -> check(c)));
  }

  private static void check(FilterConformance.Case c) throws FilterException {
    if (c.refused()) {
      assertThatThrownBy(() -> FilterParser.parse(c.filter(), TABLE))
          .isInstanceOf(FilterException.class)
          .hasMessageContaining(c.error());
    } else {
      assertThat(FilterParser.parse(c.filter(), TABLE).matches(c.row()))
          .as("%s matches %s", c.filter(), c.row())
          .isEqualTo(c.match());
    }
  }
}
