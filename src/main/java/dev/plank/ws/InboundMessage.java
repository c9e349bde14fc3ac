package dev.plank.ws;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** A client message being assembled from its frames, bounded in bytes. Owned by one event loop. */
final class InboundMessage {
  private final int limit;
  private Buffer bytes = Buffer.buffer();
  private boolean text;

  InboundMessage(int limit) {
    this.limit = limit;
  }

  void start(boolean isText) {
    bytes = Buffer.buffer();
    text = isText;
  }

  /** Appends a frame's payload; false once the message is over the limit. */
  boolean append(Buffer payload) {
    if (bytes.length() + payload.length() > limit) {
      bytes = Buffer.buffer();
      return false;
    }
    bytes.appendBuffer(payload);
    return true;
  }

  boolean isText() {
    return text;
  }

  int limit() {
    return limit;
  }

  String finish() {
    return finishBinary().toString(StandardCharsets.UTF_8);
  }

  Buffer finishBinary() {
    Buffer message = bytes;
    bytes = Buffer.buffer();
    return message;
  }
}
