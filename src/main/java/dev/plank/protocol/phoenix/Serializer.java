package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.ws.TextFrame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The two wire formats realtime-js speaks, chosen by the {@code vsn} query parameter: {@code 1.0.0}
 * sends each message as a JSON object, {@code 2.0.0} as a JSON array {@code [join_ref, ref, topic,
 * event, payload]} (and user broadcasts as binary frames, read by {@link #readBinary}).
 */
enum Serializer {
  V1,
  V2;

  /** The serializer a connection asked for; Phoenix's own default is 1.0.0. */
  static Serializer of(String vsn) {
    return vsn != null && vsn.startsWith("2.") ? V2 : V1;
  }

  /** Writes a payload into a message being encoded; a tree or a stream, as the caller has it. */
  @FunctionalInterface
  interface PayloadWriter {
    void write(JsonGenerator gen) throws IOException;
  }

  /** A message as a whole WebSocket text frame. */
  byte[] frame(
      ObjectMapper json,
      String joinRef,
      String ref,
      String topic,
      String event,
      PayloadWriter payload) {
    ByteArrayBuilder out = new ByteArrayBuilder(256);
    try (JsonGenerator gen = json.createGenerator(out)) {
      if (this == V2) {
        gen.writeStartArray();
        writeNullable(gen, joinRef);
        writeNullable(gen, ref);
        gen.writeString(topic);
        gen.writeString(event);
        payload.write(gen);
        gen.writeEndArray();
      } else {
        gen.writeStartObject();
        gen.writeFieldName("join_ref");
        writeNullable(gen, joinRef);
        gen.writeFieldName("ref");
        writeNullable(gen, ref);
        gen.writeStringField("topic", topic);
        gen.writeStringField("event", event);
        gen.writeFieldName("payload");
        payload.write(gen);
        gen.writeEndObject();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return TextFrame.of(out.toByteArray());
  }

  byte[] frame(
      ObjectMapper json, String joinRef, String ref, String topic, String event, JsonNode tree) {
    return frame(json, joinRef, ref, topic, event, gen -> gen.writeTree(tree));
  }

  private static void writeNullable(JsonGenerator gen, String value) throws IOException {
    if (value == null) gen.writeNull();
    else gen.writeString(value);
  }

  /**
   * Reads a text message.
   *
   * @throws IllegalArgumentException when it is not a message in this format
   */
  PhoenixMessage read(ObjectMapper json, String text) {
    JsonNode node;
    try {
      node = json.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException("message is not valid JSON");
    }
    if (this == V2) {
      if (!(node instanceof ArrayNode a) || a.size() != 5) {
        throw new IllegalArgumentException(
            "expected [join_ref, ref, topic, event, payload] (vsn 2.0.0)");
      }
      return message(a.get(0), a.get(1), a.get(2), a.get(3), a.get(4));
    }
    if (!(node instanceof ObjectNode o)) {
      throw new IllegalArgumentException(
          "expected {topic, event, payload, ref, join_ref} (vsn 1.0.0)");
    }
    return message(
        o.get("join_ref"), o.get("ref"), o.get("topic"), o.get("event"), o.get("payload"));
  }

  private static PhoenixMessage message(
      JsonNode joinRef, JsonNode ref, JsonNode topic, JsonNode event, JsonNode payload) {
    if (topic == null || !topic.isTextual() || event == null || !event.isTextual()) {
      throw new IllegalArgumentException("a message needs a string topic and event");
    }
    JsonNode body =
        payload == null || payload.isNull() ? JsonNodeFactory.instance.objectNode() : payload;
    return new PhoenixMessage(text(joinRef), text(ref), topic.asText(), event.asText(), body);
  }

  private static String text(JsonNode node) {
    if (node == null || node.isNull()) return null;
    return node.isValueNode() ? node.asText() : null;
  }

  private static final int USER_BROADCAST_PUSH = 3;

  /**
   * Reads a binary user broadcast push (vsn 2.0.0: the client sends {@code broadcast} this way) as
   * the JSON message it stands for: {@code {type: "broadcast", event, payload}}. A binary user
   * payload (encoding 0) is kept as base64 text.
   *
   * @throws IllegalArgumentException when it is not one
   */
  static PhoenixMessage readBinary(ObjectMapper json, byte[] bytes) {
    if (bytes.length < 7 || bytes[0] != USER_BROADCAST_PUSH) {
      throw new IllegalArgumentException("unknown binary message kind");
    }
    int joinRefSize = bytes[1] & 0xff;
    int refSize = bytes[2] & 0xff;
    int topicSize = bytes[3] & 0xff;
    int eventSize = bytes[4] & 0xff;
    int metaSize = bytes[5] & 0xff;
    int encoding = bytes[6] & 0xff;
    int offset = 7;
    if (offset + joinRefSize + refSize + topicSize + eventSize + metaSize > bytes.length) {
      throw new IllegalArgumentException("truncated binary message");
    }
    String joinRef = utf8(bytes, offset, joinRefSize);
    offset += joinRefSize;
    String ref = utf8(bytes, offset, refSize);
    offset += refSize;
    String topic = utf8(bytes, offset, topicSize);
    offset += topicSize;
    String event = utf8(bytes, offset, eventSize);
    offset += eventSize;
    String meta = utf8(bytes, offset, metaSize);
    offset += metaSize;
    ObjectNode payload = json.createObjectNode().put("type", "broadcast").put("event", event);
    try {
      if (encoding == 1) {
        payload.set("payload", json.readTree(bytes, offset, bytes.length - offset));
      } else {
        byte[] raw = java.util.Arrays.copyOfRange(bytes, offset, bytes.length);
        payload.put("payload", raw);
      }
      if (!meta.isEmpty()) payload.set("meta", json.readTree(meta));
    } catch (IOException e) {
      throw new IllegalArgumentException("binary message payload is not valid JSON");
    }
    return new PhoenixMessage(
        joinRef.isEmpty() ? null : joinRef,
        ref.isEmpty() ? null : ref,
        topic,
        "broadcast",
        payload);
  }

  private static String utf8(byte[] bytes, int offset, int length) {
    return new String(bytes, offset, length, StandardCharsets.UTF_8);
  }
}
