package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.capture.Change;
import dev.plank.hub.ChangeCodec;

/**
 * A change as the {@code postgres_changes} message of one binding on one topic, in one serializer:
 * one instance per (serializer, topic, binding id) on the node, shared by every connection that
 * joined that topic with that binding, so the hub encodes each change once for all of them.
 * Immutable.
 */
final class ChangeFrames implements ChangeCodec {
  private final ObjectMapper json;
  private final Serializer serializer;
  private final String topic;
  private final int bindingId;
  private final ColumnTypes columns;

  ChangeFrames(
      ObjectMapper json, Serializer serializer, String topic, int bindingId, ColumnTypes columns) {
    this.json = json;
    this.serializer = serializer;
    this.topic = topic;
    this.bindingId = bindingId;
    this.columns = columns;
  }

  /**
   * {@code {ids, data: {schema, table, commit_timestamp, type, columns, record, old_record,
   * errors}}}: the record is the new row (INSERT, UPDATE), the old record the row before an UPDATE
   * or the deleted row; rows go out exactly as PostgreSQL wrote them.
   */
  @Override
  public byte[] change(Change change) {
    return serializer.frame(
        json,
        null,
        null,
        topic,
        "postgres_changes",
        gen -> {
          gen.writeStartObject();
          gen.writeArrayFieldStart("ids");
          gen.writeNumber(bindingId);
          gen.writeEndArray();
          gen.writeObjectFieldStart("data");
          gen.writeStringField("schema", change.table().schema());
          gen.writeStringField("table", change.table().name());
          gen.writeStringField("commit_timestamp", change.ts());
          gen.writeStringField("type", change.op().name());
          gen.writeFieldName("columns");
          gen.writeRawValue(columns.of(change.table()));
          if (change.op() == Change.Op.DELETE) {
            gen.writeFieldName("old_record");
            gen.writeRawValue(change.data().json());
          } else {
            gen.writeFieldName("record");
            gen.writeRawValue(change.data().json());
            if (change.old() != null) {
              gen.writeFieldName("old_record");
              gen.writeRawValue(change.old().json());
            }
          }
          gen.writeNullField("errors");
          gen.writeEndObject();
          gen.writeEndObject();
        });
  }
}
