package dev.plank.build;

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
 * {@code rm -rf frontend/dist && mvn package} must not leave the old bundle in {@code
 * target/classes}, from where the jar would go on serving it (nor a deleted source file).
 */
class StaleBundleIT {
  @Test
  @Timeout(240)
  void aDeletedBundleOrSourceFileIsGoneAfterTheNextBuild() throws Exception {
    Path project = ProjectCopy.incrementalCopy(PlankProcess.tempDir("plank-stale"));
    try {
      Path dist = project.resolve("frontend/dist");
      PlankProcess.deleteTree(dist);
      Files.createDirectories(dist);
      Files.writeString(dist.resolve("index.html"), "<!-- the bundle of an earlier build -->");
      Path gone = project.resolve("frontend/src/gone.js");
      Files.writeString(gone, "// deleted before the next build");
      processResources(project);
      Path classes = project.resolve("target/classes");
      assertThat(classes.resolve("webroot-dist/index.html")).content().contains("earlier build");
      assertThat(classes.resolve("webroot/gone.js")).exists();

      PlankProcess.deleteTree(dist);
      Files.delete(gone);
      processResources(project);
      assertThat(classes.resolve("webroot-dist")).doesNotExist();
      assertThat(classes.resolve("webroot/gone.js")).doesNotExist();
      assertThat(classes.resolve("webroot/index.html")).exists();
      assertThat(classes.resolve("webroot/plank-client.js")).exists();
    } finally {
      PlankProcess.deleteTree(project);
    }
  }

  private static void processResources(Path project) {
    try (PlankProcess mvn =
        PlankProcess.start(
            List.of(
                ProjectCopy.mvn(),
                "-B",
                "-o",
                "-q",
                "process-resources",
                "-Dspotless.check.skip=true",
                "-Djacoco.skip=true"),
            project,
            Map.of())) {
      assertThat(mvn.awaitExit(Duration.ofSeconds(200))).as(mvn.output()).isZero();
    }
  }
}
