package dev.plank.db;

import java.util.List;
import java.util.Map;

/** A captured table as the catalog describes it: its columns, in order, and how they compare. */
public record TableInfo(TableRef ref, Map<String, ColumnType> columns, List<String> primaryKey) {
  public TableInfo {
    columns = Map.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
  }
}
