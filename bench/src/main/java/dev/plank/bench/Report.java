package dev.plank.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a scenario measured: Markdown tables for the terminal (usually one table of one row) and the
 * parameters and results for the JSON file.
 */
final class Report {
  /** A titled Markdown table; every row has the same columns, in insertion order. */
  record MarkdownTable(String title, List<Map<String, String>> rows) {}

  final String scenario;
  final Map<String, Object> params = new LinkedHashMap<>();
  final Map<String, Object> results = new LinkedHashMap<>();
  final List<MarkdownTable> tables = new ArrayList<>();

  Report(String scenario) {
    this.scenario = scenario;
  }

  Report table(String title, List<Map<String, String>> rows) {
    tables.add(new MarkdownTable(title, rows));
    return this;
  }

  /** A row builder that keeps column order. */
  static final class Row {
    private final Map<String, String> cells = new LinkedHashMap<>();

    Row put(String column, Object value) {
      cells.put(column, String.valueOf(value));
      return this;
    }

    Map<String, String> cells() {
      return cells;
    }
  }
}
