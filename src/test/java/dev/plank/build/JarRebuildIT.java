package dev.plank.build;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README puts {@code java -jar target/plank.jar} and {@code mvn package} side by side: a
 * rebuild while the server runs must leave the running server whole (it keeps its open jar; the
 * build renames a new file onto the name), and an incremental build must not feed shade its own
 * previous output (which printed ~650 "overlapping classes" warnings).
 */
class JarRebuildIT {
  /** Shade's warning that a Plank jar and the dependencies define the same classes. */
  private static final Pattern SHADED_TWICE =
      Pattern.compile(".*\\bplank[^, ]*\\.jar\\b.* define \\d+ overlapping class.*");

  private DatabaseUrl database;
  private Path project;

  @BeforeEach
  void create() {
    database = TestDatabases.create(JarRebuildIT.class);
    new TestDb(database).execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
    project = ProjectCopy.incrementalCopy(PlankProcess.tempDir("plank-rebuild"));
  }

  @AfterEach
  void drop() {
    TestDatabases.drop(database);
    PlankProcess.deleteTree(project);
  }

  @Test
  @Timeout(300)
  void anIncrementalRebuildUnderARunningServerIsQuietAndLeavesItServing() throws Exception {
    Path jar = project.resolve("target/plank.jar");
    Object inodeBefore = Files.readAttributes(jar, BasicFileAttributes.class).fileKey();
    int port = freePort();
    try (PlankProcess server =
            PlankProcess.startJar(
                jar,
                project,
                Map.of("DATABASE_URL", TestPlank.url(database)),
                "--port",
                "" + port);
        PlankProcess build = rebuildAfter(server)) {
      assertThat(build.awaitExit(Duration.ofMinutes(4))).as(build.output()).isZero();
      assertThat(build.lines()).noneMatch(line -> SHADED_TWICE.matcher(line).matches());
      assertThat(Files.readAttributes(jar, BasicFileAttributes.class).fileKey())
          .as("a new file renamed onto target/plank.jar, not the old one rewritten")
          .isNotEqualTo(inodeBefore);

      // The running server still does everything, including what it had not done before.
      assertThat(PlankProcess.httpStatus("http://127.0.0.1:" + port + "/ready")).isEqualTo(200);
      assertThat(PlankProcess.httpStatus("http://127.0.0.1:" + port + "/api/items")).isEqualTo(200);
      assertThat(PlankProcess.httpStatus("http://127.0.0.1:" + port + "/metrics")).isEqualTo(200);
      try (WsClient ws = WsClient.connect("ws://127.0.0.1:" + port + "/ws")) {
        ws.subscribe("items");
        new TestDb(database).execute("INSERT INTO items VALUES (1, 'after the rebuild')");
        JsonNode change = ws.next(Duration.ofSeconds(10));
        assertThat(change.path("type").asText()).isEqualTo("INSERT");
        assertThat(change.path("data").path("name").asText()).isEqualTo("after the rebuild");
        server.sigterm();
        assertThat(ws.awaitClose().code()).as("a drain: service restart").isEqualTo(1012);
      }
      assertThat(server.awaitExit(Duration.ofSeconds(15))).isZero();
      assertThat(server.output()).doesNotContain("Exception", "NoClassDefFoundError");
    }

    // And the new jar is whole.
    try (PlankProcess help = PlankProcess.startJar(jar, project, Map.of(), "--help")) {
      assertThat(help.awaitExit(Duration.ofSeconds(30))).isZero();
      assertThat(help.output()).startsWith("Usage: plank");
    }
  }

  /** Waits until the server serves, then starts {@code mvn package} in the project copy. */
  private PlankProcess rebuildAfter(PlankProcess server) {
    server.awaitLine(l -> l.startsWith("Plank listening"), Duration.ofSeconds(60));
    return PlankProcess.start(
        List.of(
            ProjectCopy.mvn(),
            "-B",
            "-o",
            "package",
            "-Dmaven.test.skip=true",
            "-Dspotless.check.skip=true",
            "-Djacoco.skip=true"),
        project,
        Map.of());
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
