package dev.plank.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.db.TableRef;
import java.io.IOException;
import java.util.OptionalLong;

/** Reads the JSON written by {@code plank.change_json()}: a whole change, or a reference to one. */
public final class ChangeDecoder {
  private final ObjectMapper json;

  public ChangeDecoder(ObjectMapper json) {
    this.json = json;
  }

  /** The {@code seq} of a reference payload ({@code {"seq":N,"ref":true}}), if it is one. */
  public static OptionalLong reference(JsonNode payload) {
    return payload.path("ref").asBoolean(false)
        ? OptionalLong.of(payload.path("seq").asLong())
        : OptionalLong.empty();
  }

  public JsonNode parse(String payload) throws IOException {
    return json.readTree(payload);
  }

  public Change decode(JsonNode node) {
    return new Change(
        node.path("seq").asLong(),
        xid(node.get("xid")),
        xid(node.get("xmin")),
        node.path("ts").asText(),
        new TableRef(node.path("schema").asText(), node.path("table").asText()),
        Change.Op.valueOf(node.path("op").asText()),
        objectOrNull(node.get("data")),
        objectOrNull(node.get("old")));
  }

  /** xid8 values arrive as text; a missing one (a log row written before xids were sent) is 0. */
  private static long xid(JsonNode node) {
    return node == null ? 0 : Long.parseLong(node.asText());
  }

  private static ObjectNode objectOrNull(JsonNode node) {
    return node instanceof ObjectNode object ? object : null;
  }
}
