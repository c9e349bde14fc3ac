package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.Position;
import dev.plank.capture.RowJson;
import io.vertx.core.Future;
import java.util.List;

/**
 * What the hub needs of a client connection, whatever protocol it speaks. The hub calls these on
 * its own context, so that replies and changes reach each client in the order the hub produced
 * them.
 *
 * <p>{@code id} is the client's request id, opaque to the hub, echoed back in a reply.
 */
public interface Subscriber {
  /** The connection's protocol's codec: the same instance for every connection of the protocol. */
  ChangeCodec codec();

  /**
   * Writes a change encoded by {@link #codec()}, shared with every other matching subscriber: never
   * modified.
   */
  void send(byte[] encoded);

  /** One page of a snapshot; the last one carries the position to resume from after it. */
  void snapshotPage(
      String channel, JsonNode id, List<RowJson> rows, boolean last, Position position);

  void subscribed(JsonNode id, String channel);

  void unsubscribed(JsonNode id, String channel);

  void rejected(JsonNode id, Refusal reason, String message);

  /** Tells the client that it may have missed changes and must reload the channel's state. */
  void resync(String channel, String reason);

  /** Completes once the client's outbound queue has room: replays send page by page. */
  Future<Void> whenWritable();

  /** The client cannot keep up: close it (1008); it resumes from its cursor. */
  void tooSlow();

  /**
   * The client's address, for per-client shares of shared resources (snapshot and replay slots), or
   * null when there is none to share by.
   */
  default String address() {
    return null;
  }

  /** False once the connection closed; a closed subscriber is never added to the index. */
  boolean isOpen();
}
