package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.Change;
import java.util.Set;

/**
 * A client's {@code subscribe}, already checked for shape; the hub checks it against the catalog.
 */
public record SubscribeRequest(JsonNode id, String channel, Set<Change.Op> events, String filter) {
  public SubscribeRequest {
    events = Set.copyOf(events);
  }
}
