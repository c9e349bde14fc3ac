package dev.plank.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.PlankProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The benchmark ({@code bench/}, a Maven project of its own) still builds, in a copy so that a
 * developer's {@code bench/target} is left alone.
 */
class BenchBuildIT {
  @Test
  @Timeout(300)
  void theBenchmarkCompilesAndPackages() {
    Path copy = PlankProcess.tempDir("plank-bench");
    try {
      ProjectCopy.copyTree(ProjectCopy.basedir().resolve("bench/pom.xml"), copy.resolve("pom.xml"));
      ProjectCopy.copyTree(ProjectCopy.basedir().resolve("bench/src"), copy.resolve("src"));
      try (PlankProcess mvn =
          PlankProcess.start(
              List.of(ProjectCopy.mvn(), "-B", "-q", "package", "-DskipTests"), copy, Map.of())) {
        assertThat(mvn.awaitExit(Duration.ofSeconds(280))).as(mvn.output()).isZero();
      }
      assertThat(copy.resolve("target/plank-bench.jar")).isRegularFile();
    } finally {
      PlankProcess.deleteTree(copy);
    }
  }
}
