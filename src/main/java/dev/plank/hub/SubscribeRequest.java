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
 * @param rows the rows a policy lets the subscriber read; {@code null} when no policy is in force
 */
public record SubscribeRequest(
    JsonNode id,
    String channel,
    Set<Change.Op> events,
    String filter,
    Position since,
    boolean snapshot,
    RowBound rows) {
  public SubscribeRequest {
    events = Set.copyOf(events);
  }

  public SubscribeRequest(
      JsonNode id,
      String channel,
      Set<Change.Op> events,
      String filter,
      Position since,
      boolean snapshot) {
    this(id, channel, events, filter, since, snapshot, null);
  }

  /** This request, read under a policy's bound. */
  public SubscribeRequest under(RowBound bound) {
    return new SubscribeRequest(id, channel, events, filter, since, snapshot, bound);
  }
}
