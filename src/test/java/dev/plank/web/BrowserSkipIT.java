package dev.plank.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.PlankProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A machine with Chromium but without chromedriver: the browser test is skipped, and the build's
 * output (not only its report file) says why and what to install.
 */
class BrowserSkipIT {
  @Test
  @Timeout(180)
  void theSkipReasonIsInTheBuildOutput() {
    // The compiled tests, in a copy, so that this run's reports do not replace the real ones.
    Path copy = PlankProcess.tempDir("plank-browser-skip");
    Path basedir = Path.of(System.getProperty("plank.basedir", ".")).toAbsolutePath();
    for (String part : List.of("pom.xml", "target/classes", "target/test-classes")) {
      PlankProcess.copyTree(basedir.resolve(part), copy.resolve(part));
    }
    // Any executable stands in for Chromium; the driver is missing.
    String chromium = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try (PlankProcess mvn =
        PlankProcess.start(
            List.of(
                mvn(),
                "-B",
                "-o",
                "jacoco:prepare-agent", // sets the argLine the surefire configuration starts with
                "surefire:test",
                "-Dtest=DashboardBrowserTest",
                "-Dplank.chromium=" + chromium,
                "-Dplank.chromedriver=/nonexistent/chromedriver"),
            copy,
            Map.of())) {
      assertThat(mvn.awaitExit(Duration.ofSeconds(170))).as(mvn.output()).isZero();
      assertThat(mvn.lines())
          .as(mvn.output())
          .contains(
              "[WARNING] DashboardBrowserTest skipped: Chromium is at "
                  + chromium
                  + " but there is no chromedriver at /nonexistent/chromedriver; install with:"
                  + " apt-get install -y chromium-driver");
    } finally {
      PlankProcess.deleteTree(copy);
    }
  }

  private static String mvn() {
    String home = System.getProperty("maven.home");
    Path mvn = home == null ? null : Path.of(home, "bin", "mvn");
    return mvn != null && Files.isExecutable(mvn) ? mvn.toString() : "mvn";
  }
}
