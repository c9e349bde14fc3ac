package dev.plank.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket, for what polite clients never do: stop reading, ignore
 * pings, send malformed frames. It reads only when told to.
 */
public final class RawWsClient implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  /** What {@link #readUntilClose} saw: text frames, then the close frame (code -1 if none). */
  public record Outcome(int textFrames, int closeCode, String closeReason) {}

  private RawWsClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects with a small receive buffer, so that a client that stops reading stalls quickly. */
  public static RawWsClient connect(int port, int receiveBufferBytes) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(receiveBufferBytes);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    RawWsClient client = new RawWsClient(socket);
    client.handshake(port);
    return client;
  }

  private void handshake(int port) throws IOException {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    String request =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:"
            + port
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + Base64.getEncoder().encodeToString(key)
            + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String status = readLine();
    if (!status.startsWith("HTTP/1.1 101")) throw new IOException("no upgrade: " + status);
    while (!readLine().isEmpty()) {
      // headers
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) throw new EOFException();
      if (b != '\r') line.write(b);
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  public void sendText(String text) throws IOException {
    sendFrame(0x1, text.getBytes(StandardCharsets.UTF_8), true);
  }

  /** Sends one masked frame with any opcode and payload, well-formed or not. */
  public void sendFrame(int opcode, byte[] payload, boolean fin) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write((fin ? 0x80 : 0) | (opcode & 0x0f));
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length & 0xff);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8)
        frame.write((int) ((long) payload.length >>> shift));
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) frame.write(payload[i] ^ mask[i % 4]);
    out.write(frame.toByteArray());
    out.flush();
  }

  /** Reads frames until the server's close frame or the end of the stream. */
  public Outcome readUntilClose(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    int texts = 0;
    try {
      while (true) {
        int head = in.readUnsignedByte();
        long length = in.readUnsignedByte() & 0x7f;
        if (length == 126) length = in.readUnsignedShort();
        else if (length == 127) length = in.readLong();
        byte[] payload = in.readNBytes((int) length);
        int opcode = head & 0x0f;
        if (opcode == 0x1) texts++;
        if (opcode == 0x8) {
          int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
          String reason =
              payload.length > 2
                  ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)
                  : "";
          return new Outcome(texts, code, reason);
        }
      }
    } catch (EOFException | SocketTimeoutException e) {
      return new Outcome(texts, -1, "");
    }
  }

  /** Whether the server has closed the connection (reads what is left, without waiting). */
  public boolean serverClosed(Duration wait) throws IOException {
    socket.setSoTimeout((int) wait.toMillis());
    InputStream input = socket.getInputStream();
    byte[] sink = new byte[8192];
    try {
      while (input.read(sink) >= 0) {
        // discard
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the server
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // already gone
    }
  }
}
