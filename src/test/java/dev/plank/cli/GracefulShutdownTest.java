package dev.plank.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real `plank serve` process: prints where it listens, and on SIGTERM says goodbye and exits 0.
 */
class GracefulShutdownTest {
  @Test
  void sigtermClosesWebSocketsWith1001AndExitsZero() throws Exception {
    DatabaseUrl database = TestDatabases.create(GracefulShutdownTest.class);
    new TestDb(database).execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.plank.cli.Main",
                "serve",
                "--port",
                Integer.toString(port))
            .redirectErrorStream(true);
    builder.environment().put("DATABASE_URL", TestPlank.url(database));
    Process process = builder.start();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      StringBuilder seen = new StringBuilder();
      while ((line = out.readLine()) != null && !line.startsWith("Plank listening"))
        seen.append(line).append('\n');
      assertThat(seen.toString()).as("said before listening").isEmpty();
      assertThat(line)
          .startsWith("Plank listening on http://127.0.0.1:" + port + " (database: postgresql://")
          .endsWith("; capturing items)");

      try (WsClient ws = WsClient.connect("ws://127.0.0.1:" + port + "/ws")) {
        ws.subscribe("items");
        long started = System.nanoTime();
        process.destroy(); // SIGTERM
        assertThat(ws.awaitClose().code()).isEqualTo(1001);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("exited within 10 s").isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(5_000);
      }
    } finally {
      process.destroyForcibly();
      TestDatabases.drop(database);
    }
  }
}
