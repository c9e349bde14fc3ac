package dev.plank.protocol.v1;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.capture.Change;
import dev.plank.capture.Position;
import dev.plank.capture.RowJson;
import dev.plank.hub.ChangeCodec;
import dev.plank.pubsub.Presence;
import dev.plank.pubsub.PubSubCodec;
import dev.plank.ws.TextFrame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Protocol v1's messages as whole WebSocket text frames. A change is encoded once for every v1
 * subscriber that gets it: one instance serves every v1 connection of the node.
 */
public final class V1Codec implements ChangeCodec, PubSubCodec {
  private final ObjectMapper json;

  public V1Codec(ObjectMapper json) {
    this.json = json;
  }

  @Override
  public byte[] change(Change change) {
    ByteArrayBuilder out = new ByteArrayBuilder(512);
    try (JsonGenerator gen = json.createGenerator(out)) {
      gen.writeStartObject();
      gen.writeStringField("type", change.op().name());
      gen.writeStringField("channel", change.table().channel());
      gen.writeStringField("schema", change.table().schema());
      gen.writeStringField("table", change.table().name());
      // Rows go out exactly as PostgreSQL wrote them: every digit, any depth.
      gen.writeFieldName("data");
      gen.writeRawValue(change.data().json());
      if (change.old() != null) {
        gen.writeFieldName("old");
        gen.writeRawValue(change.old().json());
      }
      gen.writeNumberField("seq", change.seq());
      gen.writeStringField("cursor", change.position().toString());
      gen.writeStringField("ts", change.ts());
      gen.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return TextFrame.of(out.toByteArray());
  }

  /** One page of a snapshot; the last one carries the cursor to resume from after it. */
  byte[] snapshotPage(
      String channel, JsonNode id, List<RowJson> rows, boolean last, Position position) {
    ByteArrayBuilder out = new ByteArrayBuilder(1024);
    try (JsonGenerator gen = json.createGenerator(out)) {
      gen.writeStartObject();
      gen.writeStringField("type", "snapshot");
      if (id != null) {
        gen.writeFieldName("id");
        gen.writeTree(id);
      }
      gen.writeStringField("channel", channel);
      gen.writeArrayFieldStart("rows");
      for (RowJson row : rows) gen.writeRawValue(row.json());
      gen.writeEndArray();
      gen.writeBooleanField("last", last);
      if (position != null) gen.writeStringField("cursor", position.toString());
      gen.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return TextFrame.of(out.toByteArray());
  }

  @Override
  public byte[] broadcast(String topic, String event, String payload) {
    ByteArrayBuilder out = new ByteArrayBuilder(256);
    try (JsonGenerator gen = json.createGenerator(out)) {
      gen.writeStartObject();
      gen.writeStringField("type", "broadcast");
      gen.writeStringField("topic", topic);
      gen.writeStringField("event", event);
      gen.writeFieldName("payload");
      gen.writeRawValue(payload);
      gen.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return TextFrame.of(out.toByteArray());
  }

  @Override
  public byte[] presenceState(String topic, List<Presence> entries) {
    ObjectNode message = json.createObjectNode().put("type", "presence_state").put("topic", topic);
    message.set("state", byKey(entries));
    return message(message);
  }

  @Override
  public byte[] presenceDiff(String topic, List<Presence> joins, List<Presence> leaves) {
    ObjectNode message = json.createObjectNode().put("type", "presence_diff").put("topic", topic);
    message.set("joins", byKey(joins));
    message.set("leaves", byKey(leaves));
    return message(message);
  }

  /** {@code {key: [state with its presence_ref, …]}}, as Supabase's presenceState() shows it. */
  private ObjectNode byKey(List<Presence> entries) {
    Map<String, com.fasterxml.jackson.databind.node.ArrayNode> keys = new LinkedHashMap<>();
    for (Presence p : entries) {
      ObjectNode meta = p.state().deepCopy();
      meta.put("presence_ref", p.ref());
      keys.computeIfAbsent(p.key(), k -> json.createArrayNode()).add(meta);
    }
    ObjectNode out = json.createObjectNode();
    keys.forEach(out::set);
    return out;
  }

  /** A reply or notice built as a tree: not on the per-change path. */
  byte[] message(ObjectNode message) {
    try {
      return TextFrame.of(json.writeValueAsBytes(message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // an ObjectNode always serialises
    }
  }
}
