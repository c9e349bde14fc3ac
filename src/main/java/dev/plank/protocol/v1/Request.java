package dev.plank.protocol.v1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.hub.SubscribeRequest;

/** A client request whose shape has been checked. */
sealed interface Request {
  record Subscribe(SubscribeRequest request) implements Request {}

  record Unsubscribe(JsonNode id, String channel) implements Request {}

  record Ping(JsonNode id) implements Request {}

  /** A token, first or renewed; never logged, never echoed. */
  record Auth(JsonNode id, String token) implements Request {
    @Override
    public String toString() {
      return "Auth[id=" + id + "]";
    }
  }

  record Join(JsonNode id, String topic) implements Request {}

  record Leave(JsonNode id, String topic) implements Request {}

  /** {@code payload} is JSON text. */
  record Broadcast(
      JsonNode id, String topic, String event, String payload, boolean self, boolean ack)
      implements Request {}

  /** {@code key} null: the connection's own. */
  record Track(JsonNode id, String topic, String key, ObjectNode state) implements Request {}

  record Untrack(JsonNode id, String topic) implements Request {}
}
