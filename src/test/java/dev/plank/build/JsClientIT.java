package dev.plank.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.PlankProcess;
import dev.plank.support.TestPlank;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JavaScript client's own tests ({@code npm test} in {@code clients/js}: its unit tests and its
 * live tests) against a Plank started here. {@code PLANK_REQUIRE=1}: the live tests fail instead of
 * skipping when they cannot reach it.
 */
class JsClientIT {
  @Test
  @Timeout(180)
  void theClientsTestsPassAgainstARunningPlank() {
    String secret = "js-client-test-secret-0123456789-abcdef";
    try (TestPlank plank = TestPlank.start(JsClientIT.class);
        // A second node that requires tokens, for the `token` option's tests (test/auth.test.js).
        TestPlank authPlank =
            TestPlank.start(
                JsClientIT.class, Map.of("PLANK_JWT_SECRET", secret, "PLANK_JWT_LEEWAY", "0s"));
        PlankProcess node =
            PlankProcess.start(
                List.of("npm", "test"),
                ProjectCopy.basedir().resolve("clients/js"),
                Map.of(
                    "PLANK_URL",
                    plank.httpUrl(),
                    "PLANK_AUTH_URL",
                    authPlank.httpUrl(),
                    "PLANK_JWT_SECRET",
                    secret,
                    "PLANK_REQUIRE",
                    "1"))) {
      int code = node.awaitExit(Duration.ofSeconds(170));
      assertThat(code).as("npm test in clients/js:%n%s", node.output()).isZero();
      // A live test skipped (`ok N - name # SKIP reason`) would mean it never ran.
      assertThat(node.lines()).as(node.output()).noneMatch(line -> line.contains("# SKIP"));
    }
  }
}
