package dev.plank.ws;

import java.nio.charset.StandardCharsets;

/** A whole WebSocket Close frame, header included (RFC 6455, server to client: unmasked). */
final class CloseFrame {
  private CloseFrame() {}

  /** A Close frame with a status code and a short reason (at most 123 bytes of UTF-8). */
  static byte[] of(short code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    if (text.length > 123) throw new IllegalArgumentException("close reason too long: " + reason);
    byte[] frame = new byte[4 + text.length];
    frame[0] = (byte) 0x88; // FIN + close
    frame[1] = (byte) (2 + text.length);
    frame[2] = (byte) (code >>> 8);
    frame[3] = (byte) code;
    System.arraycopy(text, 0, frame, 4, text.length);
    return frame;
  }
}
