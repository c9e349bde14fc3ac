package dev.plank.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Looks tables up in {@code pg_catalog}, so that names from configuration are checked, not trusted.
 */
public final class Catalog {
  private static final String COLUMNS =
      "SELECT a.attname, t.typcategory::text,"
          + " coalesce(a.attnum = ANY (i.indkey), false) AS pk, t.typname::text"
          + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
          + " JOIN pg_type t ON t.oid = a.atttypid"
          + " LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
          + " WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')"
          + " ORDER BY a.attnum";

  private Catalog() {}

  /** Describes each table, failing with {@link UnknownTableException} for the first missing one. */
  public static Future<List<TableInfo>> describe(SqlClient client, List<TableRef> tables) {
    Future<List<TableInfo>> result = Future.succeededFuture(new ArrayList<>());
    for (TableRef table : tables) {
      result =
          result.compose(
              infos ->
                  describe(client, table)
                      .map(
                          info -> {
                            infos.add(info);
                            return infos;
                          }));
    }
    return result;
  }

  public static Future<TableInfo> describe(SqlClient client, TableRef table) {
    return client
        .preparedQuery(COLUMNS)
        .execute(Tuple.of(table.schema(), table.name()))
        .map(
            rows -> {
              if (rows.size() == 0) throw new UnknownTableException(table);
              Map<String, ColumnType> columns = new LinkedHashMap<>();
              List<String> primaryKey = new ArrayList<>();
              Map<String, String> typeNames = new LinkedHashMap<>();
              for (Row row : rows) {
                String column = row.getString(0);
                columns.put(column, ColumnType.ofCategory(row.getString(1)));
                if (row.getBoolean(2)) primaryKey.add(column);
                typeNames.put(column, row.getString(3));
              }
              return new TableInfo(table, columns, primaryKey, typeNames);
            });
  }
}
