package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.pubsub.Presence;
import dev.plank.pubsub.PubSubCodec;
import dev.plank.ws.TextFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Broadcast and presence as Supabase Realtime sends them, for one serializer: {@code broadcast}
 * {@code {type, event, payload}}, {@code presence_state} {@code {key: {metas: [{phx_ref, ...}]}}}
 * and {@code presence_diff} {@code {joins, leaves}} in that shape, on the topic {@code
 * realtime:<topic>}. With vsn 2.0.0 a broadcast is a binary "user broadcast" frame, as Supabase
 * sends it. No join_ref: the frame is shared by every channel of every connection on the topic, and
 * the client accepts a message without one. Stateless; one instance per serializer per node.
 */
final class TopicFrames implements PubSubCodec {
  private static final int USER_BROADCAST = 4;
  private static final int JSON_ENCODING = 1;

  private final Serializer serializer;
  private final ObjectMapper json;

  TopicFrames(Serializer serializer, ObjectMapper json) {
    this.serializer = serializer;
    this.json = json;
  }

  @Override
  public byte[] broadcast(String topic, String event, String payload) {
    String phoenixTopic = PhoenixSession.TOPIC_PREFIX + topic;
    if (serializer == Serializer.V2) {
      byte[] binary = userBroadcast(phoenixTopic, event, payload);
      if (binary != null) return binary;
    }
    return serializer.frame(
        json,
        null,
        null,
        phoenixTopic,
        "broadcast",
        gen -> {
          gen.writeStartObject();
          gen.writeStringField("type", "broadcast");
          gen.writeStringField("event", event);
          gen.writeFieldName("payload");
          gen.writeRawValue(payload);
          gen.writeEndObject();
        });
  }

  /**
   * {@code [4, topic size, event size, meta size, encoding, topic, event, meta, payload]}; null
   * when a name does not fit its one-byte size (then the text form is sent).
   */
  private static byte[] userBroadcast(String topic, String event, String payload) {
    byte[] t = topic.getBytes(StandardCharsets.UTF_8);
    byte[] e = event.getBytes(StandardCharsets.UTF_8);
    if (t.length > 255 || e.length > 255) return null;
    byte[] p = payload.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[5 + t.length + e.length + p.length];
    out[0] = USER_BROADCAST;
    out[1] = (byte) t.length;
    out[2] = (byte) e.length;
    out[3] = 0;
    out[4] = JSON_ENCODING;
    System.arraycopy(t, 0, out, 5, t.length);
    System.arraycopy(e, 0, out, 5 + t.length, e.length);
    System.arraycopy(p, 0, out, 5 + t.length + e.length, p.length);
    return TextFrame.binary(out);
  }

  @Override
  public byte[] presenceState(String topic, List<Presence> entries) {
    return serializer.frame(
        json,
        null,
        null,
        PhoenixSession.TOPIC_PREFIX + topic,
        "presence_state",
        gen -> writeByKey(gen, entries));
  }

  @Override
  public byte[] presenceDiff(String topic, List<Presence> joins, List<Presence> leaves) {
    return serializer.frame(
        json,
        null,
        null,
        PhoenixSession.TOPIC_PREFIX + topic,
        "presence_diff",
        gen -> {
          gen.writeStartObject();
          gen.writeFieldName("joins");
          writeByKey(gen, joins);
          gen.writeFieldName("leaves");
          writeByKey(gen, leaves);
          gen.writeEndObject();
        });
  }

  /** Phoenix Presence's shape: entries grouped by key, each with its ref as {@code phx_ref}. */
  private static void writeByKey(JsonGenerator gen, List<Presence> entries) throws IOException {
    Map<String, List<Presence>> byKey = new LinkedHashMap<>();
    for (Presence p : entries) byKey.computeIfAbsent(p.key(), k -> new ArrayList<>()).add(p);
    gen.writeStartObject();
    for (Map.Entry<String, List<Presence>> key : byKey.entrySet()) {
      gen.writeFieldName(key.getKey());
      gen.writeStartObject();
      gen.writeArrayFieldStart("metas");
      for (Presence p : key.getValue()) {
        gen.writeStartObject();
        gen.writeStringField("phx_ref", p.ref());
        for (Iterator<Map.Entry<String, JsonNode>> it = p.state().fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> field = it.next();
          // The client tells entries apart by these: a state must not forge them.
          if (field.getKey().equals("phx_ref") || field.getKey().equals("phx_ref_prev")) continue;
          gen.writeFieldName(field.getKey());
          gen.writeTree(field.getValue());
        }
        gen.writeEndObject();
      }
      gen.writeEndArray();
      gen.writeEndObject();
    }
    gen.writeEndObject();
  }
}
