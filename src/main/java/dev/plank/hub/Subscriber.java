package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;

/**
 * What the hub needs of a client connection. The hub calls these on its own context, so that
 * replies and change frames reach each client in the order the hub produced them.
 */
public interface Subscriber {
  /**
   * Writes a whole WebSocket text frame ({@link TextFrame}), shared with every other matching
   * subscriber: never modified.
   */
  void send(byte[] frame);

  void subscribed(JsonNode id, String channel);

  void unsubscribed(JsonNode id, String channel);

  void rejected(JsonNode id, ErrorCode code, String message);

  /** Tells the client that it may have missed changes and must reload the channel's state. */
  void resync(String channel, String reason);

  /** Completes once the client's outbound queue has room: replays send page by page. */
  Future<Void> whenWritable();

  /** The client cannot keep up: close it (1008); it resumes from its cursor. */
  void tooSlow();

  /** False once the connection closed; a closed subscriber is never added to the index. */
  boolean isOpen();
}
