package dev.plank.protocol.v1;

import com.fasterxml.jackson.databind.JsonNode;
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
}
