package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The {@code columns} list of a change message ({@code [{name, type}]}), which realtime-js uses to
 * convert values: made once per table and kept as JSON text. Any thread.
 */
final class ColumnTypes {
  private final Supplier<Map<String, TableInfo>> catalog; // by channel; null until known
  private final ObjectMapper json;
  private final Map<TableInfo, String> byTable = new ConcurrentHashMap<>();

  ColumnTypes(Supplier<Map<String, TableInfo>> catalog, ObjectMapper json) {
    this.catalog = catalog;
    this.json = json;
  }

  /** The table's columns as a JSON array; empty when the catalog does not know it. */
  String of(TableRef table) {
    Map<String, TableInfo> tables = catalog.get();
    TableInfo info = tables == null ? null : tables.get(table.channel());
    if (info == null) return "[]";
    return byTable.computeIfAbsent(info, this::render);
  }

  private String render(TableInfo info) {
    ArrayNode columns = json.createArrayNode();
    info.columns()
        .keySet()
        .forEach(
            name -> {
              String type = info.typeNames().get(name);
              columns.addObject().put("name", name).put("type", type == null ? "text" : type);
            });
    try {
      return json.writeValueAsString(columns);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree of strings always serialises
    }
  }
}
