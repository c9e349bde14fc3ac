package dev.plank.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real `plank serve` process: prints where it listens, and on SIGTERM drains (fails /ready,
 * refuses new WebSockets, then closes the open ones with 1012 "service restart") and exits 0.
 */
class GracefulShutdownTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void sigtermDrainsThenClosesWebSocketsWith1012AndExitsZero() throws Exception {
    DatabaseUrl database = TestDatabases.create(GracefulShutdownTest.class);
    new TestDb(database).execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String base = "http://127.0.0.1:" + port;
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.plank.cli.Main",
            "serve",
            "--port",
            Integer.toString(port));
    try (PlankProcess process =
        PlankProcess.start(
            command,
            Path.of("."),
            Map.of(
                "DATABASE_URL", TestPlank.url(database),
                // Long enough to look at the node while it drains; the timeout bounds the rest.
                "PLANK_DRAIN_DELAY", "1500ms",
                "PLANK_DRAIN_TIMEOUT", "5s"))) {
      String line = process.awaitLine(l -> l.startsWith("Plank listening"), Duration.ofSeconds(30));
      List<String> said = process.lines();
      assertThat(said.subList(0, said.indexOf(line))).as("said before listening").isEmpty();
      assertThat(line)
          .startsWith("Plank listening on http://127.0.0.1:" + port + " (database: postgresql://")
          .endsWith("; capturing items)");
      assertThat(get(base + "/ready").statusCode()).isEqualTo(200);

      try (WsClient ws = WsClient.connect("ws://127.0.0.1:" + port + "/ws")) {
        ws.subscribe("items");
        long started = System.nanoTime();
        process.sigterm();
        // First out of the balancer's rotation, while the open WebSocket still works.
        HttpResponse<String> ready = awaitStatus(base + "/ready", 503);
        assertThat(ready.body()).contains("draining");
        assertThat(ws.closed()).as("closed before the drain delay").isNotDone();
        assertThatThrownBy(() -> WsClient.connect("ws://127.0.0.1:" + port + "/ws"))
            .as("a new WebSocket is refused while draining")
            .isNotNull();
        // Then told to reconnect elsewhere now.
        WsClient.Closed closed = ws.awaitClose();
        assertThat(closed.code()).isEqualTo(1012);
        assertThat(closed.reason()).isEqualTo("service restart");
        assertThat(process.awaitExit(Duration.ofSeconds(10))).isZero();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
            .as("the drain delay, then a prompt exit")
            .isBetween(1_400L, 6_000L);
      }
    } finally {
      TestDatabases.drop(database);
    }
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> awaitStatus(String url, int status) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    HttpResponse<String> response = get(url);
    while (response.statusCode() != status && System.nanoTime() < deadline) {
      Thread.sleep(20);
      response = get(url);
    }
    assertThat(response.statusCode()).as("%s", url).isEqualTo(status);
    return response;
  }
}
