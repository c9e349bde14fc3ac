package dev.plank.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.db.TableRef;
import java.io.IOException;
import java.util.OptionalLong;

/** Reads the JSON written by {@code plank.change_json()}: a whole change, or a reference to one. */
final class ChangeDecoder {
  private final ObjectMapper json;

  ChangeDecoder(ObjectMapper json) {
    this.json = json;
  }

  /** The {@code seq} of a reference payload ({@code {"seq":N,"ref":true}}), if it is one. */
  static OptionalLong reference(JsonNode payload) {
    return payload.path("ref").asBoolean(false)
        ? OptionalLong.of(payload.path("seq").asLong())
        : OptionalLong.empty();
  }

  JsonNode parse(String payload) throws IOException {
    return json.readTree(payload);
  }

  Change decode(JsonNode node) {
    return new Change(
        node.path("seq").asLong(),
        node.path("xmin").asText(),
        node.path("ts").asText(),
        new TableRef(node.path("schema").asText(), node.path("table").asText()),
        Change.Op.valueOf(node.path("op").asText()),
        objectOrNull(node.get("data")),
        objectOrNull(node.get("old")));
  }

  private static ObjectNode objectOrNull(JsonNode node) {
    return node instanceof ObjectNode object ? object : null;
  }
}
