package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.Change;
import dev.plank.capture.Position;
import java.util.Set;

/**
 * A client's {@code subscribe}, already checked for shape; the hub checks it against the catalog.
 *
 * @param since resume after this position, or {@code null}
 * @param snapshot first send the rows that match now
 */
public record SubscribeRequest(
    JsonNode id,
    String channel,
    Set<Change.Op> events,
    String filter,
    Position since,
    boolean snapshot) {
  public SubscribeRequest {
    events = Set.copyOf(events);
  }
}
