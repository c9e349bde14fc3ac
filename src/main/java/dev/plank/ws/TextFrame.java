package dev.plank.ws;

/**
 * A whole WebSocket text frame, header included (RFC 6455, server to client: final, unmasked). A
 * change is framed once and the same bytes go to every matching session as they are.
 */
public final class TextFrame {
  private TextFrame() {}

  /** Frames a UTF-8 JSON message. */
  public static byte[] of(byte[] payload) {
    return frame((byte) 0x81, payload); // FIN + text
  }

  /** Frames binary data, as a whole binary frame. */
  public static byte[] binary(byte[] payload) {
    return frame((byte) 0x82, payload); // FIN + binary
  }

  private static byte[] frame(byte first, byte[] payload) {
    int length = payload.length;
    int header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
    byte[] frame = new byte[header + length];
    frame[0] = first;
    if (header == 2) {
      frame[1] = (byte) length;
    } else if (header == 4) {
      frame[1] = 126;
      frame[2] = (byte) (length >>> 8);
      frame[3] = (byte) length;
    } else {
      frame[1] = 127;
      for (int i = 0; i < 8; i++) frame[2 + i] = (byte) ((long) length >>> (56 - 8 * i));
    }
    System.arraycopy(payload, 0, frame, header, length);
    return frame;
  }
}
