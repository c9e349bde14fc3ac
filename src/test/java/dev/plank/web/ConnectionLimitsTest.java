package dev.plank.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connection limits over real sockets: WebSockets per address and in total get 503 beyond their
 * caps while existing clients are served; TCP connections beyond PLANK_MAX_HTTP_CONNECTIONS are
 * closed at once; slow or idle requests are closed at their deadlines; WebSockets are not.
 */
class ConnectionLimitsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank =
        TestPlank.start(
            ConnectionLimitsTest.class,
            Map.of(
                "PLANK_MAX_CONNECTIONS_PER_IP", "2",
                "PLANK_MAX_CONNECTIONS", "3",
                "PLANK_MAX_HTTP_CONNECTIONS", "8",
                "PLANK_HEADER_TIMEOUT", "1500ms",
                "PLANK_IDLE_TIMEOUT", "700ms"));
  }

  @BeforeEach
  void noWebSocketLeft() {
    // A WebSocket a test closed is counted out a moment later, on the server's event loop.
    plank.awaitMetric("plank_connections", 0);
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void anUpgradeOverThePerAddressCapGets503WhileTheOthersAreServed() throws Exception {
    try (WsClient a = WsClient.connect(plank.wsUrl());
        WsClient b = WsClient.connect(plank.wsUrl())) {
      Response refused = upgrade();
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.header("retry-after")).isEqualTo("5");
      assertThat(refused.header("content-type")).startsWith("application/problem+json");
      assertThat(JSON.readTree(refused.body()).path("detail").asText())
          .contains("too many WebSocket connections from your address");
      assertThat(plank.metric("plank_limit_hits_total{limit=\"connections_per_ip\"}"))
          .isGreaterThanOrEqualTo(1);
      for (WsClient client : List.of(a, b)) {
        client.send("{\"action\":\"ping\",\"id\":1}");
        assertThat(client.next().path("type").asText()).isEqualTo("pong");
      }
    }
    // Once they are gone, the address may connect again.
    awaitUpgradeStatus(101);
  }

  @Test
  void theHttpConnectionCapClosesNewConnectionsAtOnceAndFreesUpAfterwards() throws Exception {
    List<Socket> silent = new ArrayList<>();
    try {
      // Silent connections hold their places until their deadline; the cap counts them all.
      for (int i = 0; i < 8; i++) silent.add(connect());
      try (Socket extra = connect()) {
        long start = System.nanoTime();
        // Its own header deadline would be 1.5 s away.
        assertThat(closedWithin(extra, Duration.ofMillis(800))).as("closed at accept").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(900));
      }
    } finally {
      for (Socket s : silent) s.close();
    }
    assertThat(plank.metric("plank_limit_hits_total{limit=\"http_connections\"}"))
        .isGreaterThanOrEqualTo(1);
    awaitUpgradeStatus(101);
  }

  @Test
  void slowlorisVariantsAreClosedAtTheHeaderDeadline() throws Exception {
    try (Socket silent = connect();
        Socket trickle = connect();
        Socket partialUpgrade = connect();
        Socket partialBody = connect();
        WsClient ws = WsClient.connect(plank.wsUrl())) {
      write(partialUpgrade, "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n");
      write(
          partialBody,
          "POST /api/items HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              + "Content-Length: 100\r\n\r\n{\"name\":");
      // Trickles a header byte every 100 ms, each one before any read timeout would fire.
      Thread trickler =
          new Thread(
              () -> {
                try {
                  write(trickle, "GET /health HTTP/1.1\r\n");
                  for (int i = 0; i < 100; i++) {
                    write(trickle, "X");
                    Thread.sleep(100);
                  }
                } catch (IOException | InterruptedException e) {
                  // closed by the server: what the test expects
                }
              });
      trickler.start();
      for (Socket s : List.of(silent, trickle, partialUpgrade, partialBody)) {
        assertThat(closedWithin(s, Duration.ofSeconds(3))).as("closed within 3 s").isTrue();
      }
      trickler.interrupt();
      assertThat(plank.metric("plank_limit_hits_total{limit=\"header_timeout\"}"))
          .isGreaterThanOrEqualTo(4);
      // A WebSocket older than all of them is untouched by the HTTP deadlines.
      ws.send("{\"action\":\"ping\",\"id\":2}");
      assertThat(ws.next().path("type").asText()).isEqualTo("pong");
      assertThat(ws.closed()).isNotDone();
    }
  }

  @Test
  void anIdleKeptAliveConnectionIsClosedAtTheIdleDeadline() throws Exception {
    try (Socket socket = connect()) {
      write(socket, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      Response health = read(socket);
      assertThat(health.status()).isEqualTo(200);
      // A second request in time is served: the deadline is per request, not per connection.
      write(socket, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assertThat(read(socket).status()).isEqualTo(200);
      assertThat(closedWithin(socket, Duration.ofSeconds(3))).as("closed when idle").isTrue();
    }
    assertThat(plank.metric("plank_limit_hits_total{limit=\"idle_timeout\"}"))
        .isGreaterThanOrEqualTo(1);
  }

  @Test
  void theTotalCapRefusesUpgradesFromAnyAddress() throws Exception {
    // Two addresses of the loopback network: 127.0.0.1 and 127.0.0.2 each stay under their cap.
    try (WsClient a = WsClient.connect(plank.wsUrl());
        WsClient b = WsClient.connect(plank.wsUrl());
        Socket third = connect("127.0.0.2")) {
      write(third, upgradeRequest());
      assertThat(read(third).status()).isEqualTo(101);
      Response refused = upgrade("127.0.0.2");
      assertThat(refused.status()).isEqualTo(503);
      assertThat(JSON.readTree(refused.body()).path("detail").asText())
          .contains("maximum of WebSocket connections");
      assertThat(plank.metric("plank_limit_hits_total{limit=\"connections\"}"))
          .isGreaterThanOrEqualTo(1);
      a.send("{\"action\":\"ping\",\"id\":3}");
      assertThat(a.next().path("type").asText()).isEqualTo("pong");
    }
  }

  // --- helpers

  private record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  private static Socket connect() throws IOException {
    return connect("127.0.0.1");
  }

  private static Socket connect(String from) throws IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(from, 0));
    socket.connect(new InetSocketAddress("127.0.0.1", plank.port()), 5_000);
    return socket;
  }

  private static String upgradeRequest() {
    return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  }

  private static Response upgrade() throws IOException {
    return upgrade("127.0.0.1");
  }

  private static Response upgrade(String from) throws IOException {
    try (Socket socket = connect(from)) {
      write(socket, upgradeRequest());
      return read(socket);
    }
  }

  /** Upgrades until the answer has the status: a closed WebSocket is counted out a moment later. */
  private static void awaitUpgradeStatus(int status) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    int got = upgrade().status();
    while (got != status && System.nanoTime() < deadline) {
      Thread.sleep(20);
      got = upgrade().status();
    }
    assertThat(got).isEqualTo(status);
  }

  private static void write(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** A response's head, and its body when it has a Content-Length. */
  private static Response read(Socket socket) throws IOException {
    socket.setSoTimeout(5_000);
    InputStream in = socket.getInputStream();
    String status = line(in);
    Map<String, String> headers = new java.util.HashMap<>();
    for (String line = line(in); !line.isEmpty(); line = line(in)) {
      int colon = line.indexOf(':');
      headers.put(
          line.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT),
          line.substring(colon + 1).strip());
    }
    String length = headers.get("content-length");
    String body =
        length == null
            ? ""
            : new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8);
    return new Response(Integer.parseInt(status.substring(9, 12)), headers, body);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) throw new IOException("connection closed");
      if (b != '\r') line.write(b);
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  /** Whether the server closes the socket within the time (reading and dropping what it sends). */
  private static boolean closedWithin(Socket socket, Duration wait) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    byte[] sink = new byte[8192];
    InputStream in = socket.getInputStream();
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) return false;
      socket.setSoTimeout((int) left);
      try {
        if (in.read(sink) < 0) return true;
      } catch (SocketTimeoutException e) {
        return false;
      } catch (IOException e) {
        return true; // reset
      }
    }
  }
}
