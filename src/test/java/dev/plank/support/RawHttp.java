package dev.plank.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** One HTTP/1.1 exchange on a plain socket: for upgrade requests the JDK client will not send. */
public final class RawHttp {
  /** The status code and the body as text. */
  public record Response(int status, String head, String body) {}

  private RawHttp() {}

  /** A WebSocket upgrade request for {@code pathAndQuery} with extra headers; reads the answer. */
  public static Response upgrade(int port, String pathAndQuery, Map<String, String> headers) {
    StringBuilder request =
        new StringBuilder("GET ")
            .append(pathAndQuery)
            .append(" HTTP/1.1\r\nHost: 127.0.0.1:")
            .append(port)
            .append(
                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
    headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
    request.append("\r\n");
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      int n;
      // A 101 never ends; a refusal ends with its body (content-length, then close).
      while ((n = in.read(buf)) > 0) {
        all.write(buf, 0, n);
        String text = all.toString(StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (end >= 0 && text.startsWith("HTTP/1.1 101")) break;
        if (end >= 0) {
          int length = contentLength(text.substring(0, end));
          if (length >= 0 && all.size() >= end + 4 + length) break;
        }
      }
      String text = all.toString(StandardCharsets.UTF_8);
      int end = text.indexOf("\r\n\r\n");
      String head = end < 0 ? text : text.substring(0, end);
      String body = end < 0 ? "" : text.substring(end + 4);
      return new Response(Integer.parseInt(head.substring(9, 12)), head, body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n", -1)) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring(15).strip());
      }
    }
    return -1;
  }
}
