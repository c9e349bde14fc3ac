package dev.plank.pubsub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What nodes tell each other on the NOTIFY channel {@value #CHANNEL}, as JSON: {@code k} is the
 * kind ({@code b} broadcast, {@code t} track, {@code u} untrack, {@code g} node gone), {@code n}
 * the sending node (absent for {@code plank.broadcast} from SQL, which every node delivers).
 */
sealed interface ClusterMessage {
  String CHANNEL = "plank_pubsub";

  /** NOTIFY's payload limit is 8000 bytes, terminator included. */
  int MAX_NOTIFY_BYTES = 7999;

  String node();

  record Broadcast(String node, String topic, String event, String payload)
      implements ClusterMessage {}

  /** {@code replaced}: the ref of the entry this one replaces (the member's previous state). */
  record Track(String node, Presence entry, String replaced) implements ClusterMessage {}

  record Untrack(String node, String topic, String ref) implements ClusterMessage {}

  record Gone(String node) implements ClusterMessage {}

  static String encode(ObjectMapper json, ClusterMessage message) {
    ObjectNode out = json.createObjectNode();
    if (message.node() != null) out.put("n", message.node());
    if (message instanceof Broadcast b) {
      // The payload is JSON text already: spliced in, not parsed again.
      out.put("k", "b").put("t", b.topic()).put("e", b.event());
      String head = out.toString();
      return head.substring(0, head.length() - 1) + ",\"p\":" + b.payload() + "}";
    } else if (message instanceof Track t) {
      out.put("k", "t")
          .put("t", t.entry().topic())
          .put("r", t.entry().ref())
          .put("key", t.entry().key())
          .set("s", t.entry().state());
      if (t.replaced() != null) out.put("o", t.replaced());
    } else if (message instanceof Untrack u) {
      out.put("k", "u").put("t", u.topic()).put("r", u.ref());
    } else {
      out.put("k", "g");
    }
    return out.toString();
  }

  /** The message, or null for one this build does not know (a newer node's). */
  static ClusterMessage decode(ObjectMapper json, String text) throws java.io.IOException {
    JsonNode in = json.readTree(text);
    String node = in.hasNonNull("n") ? in.get("n").asText() : null;
    return switch (in.path("k").asText()) {
      case "b" ->
          new Broadcast(
              node, in.path("t").asText(), in.path("e").asText(), in.path("p").toString());
      case "t" ->
          in.get("s") instanceof ObjectNode state
              ? new Track(
                  node,
                  new Presence(
                      node,
                      in.path("t").asText(),
                      in.path("key").asText(),
                      in.path("r").asText(),
                      state),
                  in.hasNonNull("o") ? in.get("o").asText() : null)
              : null;
      case "u" -> new Untrack(node, in.path("t").asText(), in.path("r").asText());
      case "g" -> new Gone(node);
      default -> null;
    };
  }
}
