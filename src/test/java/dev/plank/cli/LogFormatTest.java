package dev.plank.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.support.PlankProcess;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A `plank serve` process logs with its node id in every line, as text or as one JSON object per
 * line. The line logged is the warning about an unreachable database, which needs no database.
 */
class LogFormatTest {
  @Test
  void textLinesCarryTheNodeId() throws Exception {
    try (PlankProcess plank = serve(Map.of("PLANK_NODE_ID", "edge-7"))) {
      String line = plank.awaitLine(l -> l.contains("Cannot reach"), Duration.ofSeconds(30));
      assertThat(line).contains("[WARN]").contains("node=edge-7 - Cannot reach the database");
      plank.sigterm();
      assertThat(plank.awaitExit(Duration.ofSeconds(15))).isZero();
    }
  }

  @Test
  void jsonLinesAreOneObjectEachWithTheNodeId() throws Exception {
    try (PlankProcess plank =
        serve(Map.of("PLANK_NODE_ID", "edge-8", "PLANK_LOG_FORMAT", "json"))) {
      String line = plank.awaitLine(l -> l.contains("Cannot reach"), Duration.ofSeconds(30));
      JsonNode event = new ObjectMapper().readTree(line);
      assertThat(event.path("node").asText()).isEqualTo("edge-8");
      assertThat(event.path("level").asText()).isEqualTo("WARN");
      assertThat(event.path("loggerName").asText()).isEqualTo("dev.plank.Plank");
      assertThat(event.path("formattedMessage").asText())
          .startsWith("Cannot reach the database at postgresql://");
      plank.sigterm();
      assertThat(plank.awaitExit(Duration.ofSeconds(15))).isZero();
      // Every log line is JSON; only the command's own lines (stdout) are plain text.
      for (String l : plank.lines()) {
        if (l.startsWith("{")) assertThat(new ObjectMapper().readTree(l).has("node")).isTrue();
        else assertThat(l).startsWith("Plank ");
      }
    }
  }

  private static PlankProcess serve(Map<String, String> extra) throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort(); // nothing listens there once it is closed
    }
    Map<String, String> env = new HashMap<>(extra);
    env.put("DATABASE_URL", "postgresql://postgres@127.0.0.1:" + closed + "/nowhere");
    return PlankProcess.start(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.plank.cli.Main",
            "serve",
            "--port",
            "0"),
        PlankProcess.tempDir("plank-logs"),
        env);
  }
}
