package dev.plank.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.RawHttp;
import dev.plank.support.RawHttp.Response;
import dev.plank.support.TestPlank;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * /metrics (JVM and traffic internals) is open on the main port only for local development; else it
 * needs a token or lives on the management port.
 */
class MetricsAccessTest {
  private static final String TOKEN = "s3cret-metrics-token-0123456789";

  @Test
  void offLoopbackWithoutATokenMetricsIsNotOnTheMainPort() throws Exception {
    try (TestPlank plank =
        TestPlank.start(
            MetricsAccessTest.class, Map.of("PLANK_HOST", "0.0.0.0", "PLANK_AUTH", "none"))) {
      Response metrics = RawHttp.get(plank.port(), "/metrics");
      assertThat(metrics.status()).isEqualTo(404);
      assertThat(metrics.body()).doesNotContain("jvm_");
      assertThat(RawHttp.get(plank.port(), "/health").status()).isEqualTo(200);
      assertThat(RawHttp.get(plank.port(), "/ready").status()).isEqualTo(200);
    }
  }

  @Test
  void aTokenGuardsMetricsOnBothPorts() throws Exception {
    int management = freePort();
    try (TestPlank plank =
        TestPlank.start(
            MetricsAccessTest.class,
            Map.of(
                "PLANK_HOST",
                "0.0.0.0",
                "PLANK_AUTH",
                "none",
                "PLANK_METRICS_TOKEN",
                TOKEN,
                "PLANK_MANAGEMENT_PORT",
                Integer.toString(management)))) {
      for (int port : new int[] {plank.port(), management}) {
        Response none = RawHttp.get(port, "/metrics");
        assertThat(none.status()).as("port %d", port).isEqualTo(401);
        assertThat(none.header("www-authenticate")).startsWith("Bearer");
        assertThat(none.header("content-type")).startsWith("application/problem+json");
        assertThat(none.body()).doesNotContain(TOKEN);
        assertThat(RawHttp.get(port, "/metrics", "Authorization", "Bearer " + TOKEN + "x").status())
            .isEqualTo(401);
        assertThat(RawHttp.get(port, "/metrics", "Authorization", "Basic " + TOKEN).status())
            .isEqualTo(401);
        Response ok = RawHttp.get(port, "/metrics", "Authorization", "bearer " + TOKEN);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).contains("plank_connections", "jvm_memory_used_bytes");
      }
    }
  }

  @Test
  void theManagementPortServesProbesAndMetricsAndTakesThemOffTheMainPort() throws Exception {
    int management = freePort();
    try (TestPlank plank =
        TestPlank.start(
            MetricsAccessTest.class,
            Map.of("PLANK_MANAGEMENT_PORT", Integer.toString(management)))) {
      assertThat(RawHttp.get(plank.port(), "/metrics").status()).isEqualTo(404);
      Response metrics = RawHttp.get(management, "/metrics");
      assertThat(metrics.status()).isEqualTo(200);
      assertThat(metrics.body()).contains("plank_connections");
      assertThat(RawHttp.get(management, "/health").body()).isEqualTo("{\"status\":\"up\"}");
      assertThat(RawHttp.get(management, "/ready").status()).isEqualTo(200);
      // Nothing else lives there; and it is bound to loopback, so it refuses rebound names too.
      assertThat(RawHttp.get(management, "/api/items").status()).isEqualTo(404);
      assertThat(RawHttp.get(management, "/metrics", "Host", "evil.example").status())
          .isEqualTo(421);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
