package dev.plank.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar reading a {@code .env} from its working directory, as the README describes. */
class DotEnvIT {
  private static final Duration PROMPTLY = Duration.ofSeconds(15);
  private static DatabaseUrl database;

  @BeforeAll
  static void create() {
    database = TestDatabases.create(DotEnvIT.class);
    new TestDb(database).execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
  }

  @AfterAll
  static void drop() {
    TestDatabases.drop(database);
  }

  @Test
  void aMalformedLineStopsStartUpWithFileLineAndProblem(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve(".env"), "# my settings\nPLANK_PORT 18001\n");
    try (PlankProcess plank =
        PlankProcess.startJar(
            PlankProcess.jar(), dir, Map.of("DATABASE_URL", TestPlank.url(database)))) {
      assertThat(plank.awaitExit(PROMPTLY)).isEqualTo(2);
      assertThat(plank.lines())
          .containsExactly(
              "plank: .env line 2: expected NAME=value, but there is no '=' after PLANK_PORT");
    }
  }

  @Test
  void anUnbalancedQuoteSaysSoInsteadOfAUrlError(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve(".env"), "DATABASE_URL=\"" + TestPlank.url(database) + "\n");
    try (PlankProcess plank = PlankProcess.startJar(PlankProcess.jar(), dir, Map.of())) {
      assertThat(plank.awaitExit(PROMPTLY)).isEqualTo(2);
      assertThat(plank.lines())
          .containsExactly(
              "plank: .env line 1: DATABASE_URL: the value's opening \" is never closed");
    }
  }

  @Test
  void unknownNamesAreOneWarningEachAndStartUpGoesOn(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Files.writeString(dir.resolve(".env"), "PLANK_PORT=" + port + "\nPLANK_PROT=18001\n");
    try (PlankProcess plank =
        PlankProcess.startJar(
            PlankProcess.jar(),
            dir,
            Map.of("DATABASE_URL", TestPlank.url(database), "PLANK_TABELS", "orders"))) {
      // The secure-defaults line comes right after "listening": wait for it, then all are in.
      plank.awaitLine(l -> l.startsWith("No authentication configured"), Duration.ofSeconds(30));
      assertThat(plank.lines())
          .hasSize(4)
          .startsWith(
              "plank: warning: .env line 2: PLANK_PROT is not a Plank setting"
                  + " (did you mean PLANK_PORT?); ignored",
              "plank: warning: environment variable PLANK_TABELS is not a Plank setting"
                  + " (did you mean PLANK_TABLES?); ignored");
      assertThat(plank.lines().get(2)).startsWith("Plank listening on http://127.0.0.1:" + port);
      assertThat(plank.lines().get(3)).startsWith("No authentication configured");
      plank.sigterm();
      assertThat(plank.awaitExit(PROMPTLY)).isZero();
    }
  }
}
