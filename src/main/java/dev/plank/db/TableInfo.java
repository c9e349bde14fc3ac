package dev.plank.db;

import java.util.List;
import java.util.Map;

/**
 * A captured table as the catalog describes it: its columns, in order, and how they compare.
 *
 * @param typeNames each column's PostgreSQL type name ({@code pg_type.typname}: {@code int4},
 *     {@code timestamptz}, {@code _text} for arrays), for protocols that tell clients the types
 */
public record TableInfo(
    TableRef ref,
    Map<String, ColumnType> columns,
    List<String> primaryKey,
    Map<String, String> typeNames) {
  public TableInfo {
    columns = Map.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
    typeNames = Map.copyOf(typeNames);
  }

  public TableInfo(TableRef ref, Map<String, ColumnType> columns, List<String> primaryKey) {
    this(ref, columns, primaryKey, Map.of());
  }
}
