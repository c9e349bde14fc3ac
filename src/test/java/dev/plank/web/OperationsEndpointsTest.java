package dev.plank.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /health, /ready and /metrics answer what an operator's probes and Prometheus expect. */
class OperationsEndpointsTest {
  static TestPlank plank;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    plank = TestPlank.start(OperationsEndpointsTest.class);
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void healthAndReadyAnswer() throws Exception {
    HttpResponse<String> health = get("/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("{\"status\":\"up\"}");
    HttpResponse<String> ready = get("/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body())
        .isEqualTo("{\"status\":\"ready\",\"database\":\"up\",\"listener\":\"up\"}");
  }

  @Test
  void metricsCountConnectionsSubscriptionsChangesAndMessages() throws Exception {
    try (WsClient a = WsClient.connect(plank.wsUrl());
        WsClient b = WsClient.connect(plank.wsUrl())) {
      a.subscribe("items");
      b.subscribe("items");
      double changesBefore = plank.metric("plank_changes_received_total");
      double sentBefore = plank.metric("plank_messages_sent_total");
      plank.db().execute("INSERT INTO items(name) VALUES ('m1'), ('m2')");
      a.next(2);
      b.next(2);
      // The counters move on the server's threads, a moment after the clients saw the messages
      // (and a connection from another test may still be closing): poll, with a deadline.
      plank.awaitMetric("plank_connections", 2);
      plank.awaitMetric("plank_subscriptions", 2);
      plank.awaitMetric("plank_changes_received_total", changesBefore + 2);
      plank.awaitMetric("plank_messages_sent_total", sentBefore + 4);
      assertThat(get("/metrics").headers().firstValue("content-type").orElse(""))
          .startsWith("text/plain");
      assertThat(get("/metrics").body())
          .contains("plank_listener_reconnects_total", "jvm_memory_used_bytes");
    }
  }

  @Test
  void unknownPathsAreProblemJson404s() throws Exception {
    HttpResponse<String> response = get("/nope");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("content-type").orElse(""))
        .startsWith("application/problem+json");
  }

  @Test
  void theClientLibraryIsServedWithItsTypes() throws Exception {
    HttpResponse<String> js = get("/plank-client.js");
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("content-type").orElse("")).startsWith("text/javascript");
    HttpResponse<String> types = get("/plank-client.d.ts");
    assertThat(types.statusCode()).isEqualTo(200);
    assertThat(types.headers().firstValue("content-type"))
        .hasValue("application/typescript; charset=utf-8");
    assertThat(types.body()).contains("export declare class Plank");
    // HEAD as well as GET, as for any static file.
    HttpResponse<Void> head =
        http.send(
            HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/plank-client.d.ts"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("content-type"))
        .hasValue("application/typescript; charset=utf-8");
  }

  @Test
  void webSocketsAreNotCompressedPerConnection() throws Exception {
    URI uri = URI.create(plank.httpUrl());
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(5_000);
      String handshake =
          "GET /ws HTTP/1.1\r\nHost: "
              + uri.getAuthority()
              + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
      socket.getOutputStream().write(handshake.getBytes(StandardCharsets.US_ASCII));
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      List<String> head = new ArrayList<>();
      for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
        head.add(line.toLowerCase(Locale.ROOT));
      }
      assertThat(head.get(0)).contains("101");
      assertThat(head).noneMatch(line -> line.startsWith("sec-websocket-extensions"));
    }
  }

  @Test
  void plainHttpOnTheWebSocketPathIsA400() throws Exception {
    assertThat(get("/ws").statusCode()).isEqualTo(400);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(plank.httpUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
