package dev.plank.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 request on a plain socket, with any headers (Java's HttpClient refuses to send a
 * {@code Host} of our choosing). Reads the answer to its end, or only its head for a 101.
 */
public final class RawHttp {
  /** Status, headers (lower-case names) and body of an answer. */
  public record Response(int status, Map<String, List<String>> headers, String body) {
    /** The first value of a header, or null. */
    public String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : values.get(0);
    }

    /** Every value of a header, joined with ", " ("" when absent). */
    public String all(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? "" : String.join(", ", values);
    }

    /** The headers as text, for assertion messages. */
    public String head() {
      return status + " " + headers;
    }
  }

  private RawHttp() {}

  /** Sends {@code method path} to 127.0.0.1:{@code port} with the given headers (in order). */
  public static Response send(int port, String method, String path, Map<String, String> headers)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(10_000);
      StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
      boolean host = false;
      for (Map.Entry<String, String> h : headers.entrySet()) {
        request.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        host |= h.getKey().equalsIgnoreCase("Host");
      }
      if (!host) request.append("Host: 127.0.0.1:").append(port).append("\r\n");
      if (!headers.containsKey("Upgrade")) request.append("Connection: close\r\n");
      request.append("\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return read(socket.getInputStream(), method.equals("HEAD"));
    }
  }

  /** GET with headers given as name, value, name, value, ... */
  public static Response get(int port, String path, String... headers) throws IOException {
    return send(port, "GET", path, map(headers));
  }

  /** A WebSocket upgrade of {@code path} with extra headers (name, value, ...). */
  public static Response upgrade(int port, String path, String... headers) throws IOException {
    Map<String, String> all = map(headers);
    all.put("Upgrade", "websocket");
    all.put("Connection", "Upgrade");
    all.put("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    all.put("Sec-WebSocket-Version", "13");
    return send(port, "GET", path, all);
  }

  /** A WebSocket upgrade of {@code pathAndQuery} with extra headers, reading the answer. */
  public static Response upgrade(int port, String pathAndQuery, Map<String, String> headers) {
    Map<String, String> all = new java.util.LinkedHashMap<>(headers);
    all.put("Upgrade", "websocket");
    all.put("Connection", "Upgrade");
    all.put("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    all.put("Sec-WebSocket-Version", "13");
    try {
      return send(port, "GET", pathAndQuery, all);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static Map<String, String> map(String... headers) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < headers.length; i += 2) map.put(headers[i], headers[i + 1]);
    return map;
  }

  private static Response read(InputStream in, boolean head) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int end = -1;
    while (end < 0) {
      int b = in.read();
      if (b < 0) throw new IOException("connection closed before the response head ended");
      bytes.write(b);
      byte[] sofar = bytes.toByteArray();
      int n = sofar.length;
      if (n >= 4 && sofar[n - 4] == '\r' && sofar[n - 3] == '\n' && sofar[n - 2] == '\r') {
        if (sofar[n - 1] == '\n') end = n;
      }
    }
    String[] lines = bytes.toString(StandardCharsets.ISO_8859_1).split("\r\n", -1);
    int status = Integer.parseInt(lines[0].split(" ", -1)[1]);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) continue;
      headers
          .computeIfAbsent(
              lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(lines[i].substring(colon + 1).strip());
    }
    if (status == 101 || status == 204 || status == 304 || head) {
      return new Response(status, headers, "");
    }
    byte[] rest;
    List<String> length = headers.get("content-length");
    if (length != null) {
      rest = in.readNBytes(Integer.parseInt(length.get(0)));
    } else if ("chunked"
        .equalsIgnoreCase(String.join("", headers.getOrDefault("transfer-encoding", List.of())))) {
      rest = dechunk(in);
    } else {
      rest = in.readAllBytes();
    }
    return new Response(status, headers, new String(rest, StandardCharsets.UTF_8));
  }

  private static byte[] dechunk(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      StringBuilder size = new StringBuilder();
      int b;
      while ((b = in.read()) != '\n') {
        if (b < 0) return body.toByteArray();
        if (b != '\r') size.append((char) b);
      }
      int n = Integer.parseInt(size.toString().split(";", -1)[0].strip(), 16);
      if (n == 0) return body.toByteArray();
      body.write(in.readNBytes(n));
      in.read();
      in.read(); // CRLF after the chunk
    }
  }
}
