package dev.plank.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code java -jar target/plank.jar} as a user starts it: it says "listening" only once it serves,
 * a start that cannot work is one line and an exit code, and SIGTERM works from the first moment.
 */
class StartupIT {
  /** JVM start-up included, on a busy 2-core machine. */
  private static final Duration PROMPTLY = Duration.ofSeconds(15);

  private static DatabaseUrl database;
  private static Path dir;

  @BeforeAll
  static void create() {
    database = TestDatabases.create(StartupIT.class);
    new dev.plank.support.TestDb(database)
        .execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)");
    dir = PlankProcess.tempDir("plank-startup");
  }

  @AfterAll
  static void drop() {
    TestDatabases.drop(database);
    PlankProcess.deleteTree(dir);
  }

  @Test
  void aPortInUseIsOneLineAndAnExitWithinSeconds() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        PlankProcess plank = start("--port", Integer.toString(taken.getLocalPort()))) {
      long started = System.nanoTime();
      int code = plank.awaitExit(PROMPTLY);
      assertThat(code).isEqualTo(1);
      assertThat(plank.lines())
          .containsExactly("plank: port " + taken.getLocalPort() + " on 127.0.0.1 is in use");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(PROMPTLY);
    }
  }

  @Test
  void withoutAuthANonLoopbackAddressIsRefusedInOneLine() {
    try (PlankProcess plank = start("--port", "0", "--host", "0.0.0.0")) {
      assertThat(plank.awaitExit(PROMPTLY)).isEqualTo(2);
      assertThat(plank.lines())
          .containsExactly(
              "plank: refusing to serve without authentication on 0.0.0.0, which is not a loopback"
                  + " address: set PLANK_JWT_SECRET, PLANK_JWT_PUBLIC_KEY or PLANK_JWT_JWKS, or"
                  + " PLANK_AUTH=none to serve without auth");
    }
  }

  @Test
  void anUnknownTableIsOneLineWithoutListeningOrShuttingDown() {
    try (PlankProcess plank = start("--port", "0", "--tables", "items,nope")) {
      assertThat(plank.awaitExit(PROMPTLY)).isEqualTo(1);
      assertThat(plank.lines())
          .containsExactly(
              "plank: table public.nope does not exist"
                  + " (check PLANK_TABLES / --tables; names are case-sensitive)");
    }
  }

  @Test
  void listeningIsSaidOnlyOnceThePlankServes() throws Exception {
    int port = freePort();
    try (PlankProcess plank = start("--port", Integer.toString(port))) {
      String line = plank.awaitLine(l -> l.startsWith("Plank listening"), Duration.ofSeconds(30));
      // At the moment it says so, it is ready and a subscription is acknowledged.
      assertThat(PlankProcess.httpStatus("http://127.0.0.1:" + port + "/ready")).isEqualTo(200);
      try (WsClient ws = WsClient.connect("ws://127.0.0.1:" + port + "/ws")) {
        ws.subscribe("items");
      }
      // The schema's version; what changed, when this test is the first to install it.
      assertThat(line)
          .matches(
              java.util.regex.Pattern.quote(
                      "Plank listening on http://127.0.0.1:"
                          + port
                          + " (database: "
                          + database.redacted()
                          + "; schema v")
                  + "\\d+(, \\d+ migrations? applied)?"
                  + java.util.regex.Pattern.quote("; capturing items)"));
      plank.sigterm();
      assertThat(plank.awaitExit(PROMPTLY)).isZero();
      assertThat(plank.lines())
          .containsExactly(
              line,
              "No authentication configured: serving everything without tokens, on 127.0.0.1"
                  + " only because it is a loopback address (set PLANK_JWT_* to require tokens)",
              "Plank shutting down");
    }
  }

  @Test
  void anUnreachableDatabaseIsSaidOnceAndSigtermStillStopsAtOnce() throws Exception {
    int port = freePort();
    int closed = freePort(); // nothing listens there
    try (PlankProcess plank =
        PlankProcess.startJar(
            PlankProcess.jar(),
            dir,
            Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:" + closed + "/nowhere"),
            "--port",
            Integer.toString(port))) {
      plank.awaitLine(l -> l.contains("Cannot reach the database"), Duration.ofSeconds(30));
      // Meanwhile it answers that it is not ready, through several retries (200 ms back-off).
      for (int i = 0; i < 5; i++) {
        assertThat(PlankProcess.httpStatus("http://127.0.0.1:" + port + "/ready")).isEqualTo(503);
      }
      long asked = System.nanoTime();
      plank.sigterm();
      assertThat(plank.awaitExit(PROMPTLY)).isZero();
      assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(5));
      assertThat(plank.lines())
          .singleElement()
          .asString()
          .endsWith(
              "Cannot reach the database at postgresql://postgres@127.0.0.1:"
                  + closed
                  + "/nowhere (Connection refused: /127.0.0.1:"
                  + closed
                  + "); retrying until it answers");
    }
  }

  @Test
  @Timeout(180) // the embedded PostgreSQL is unpacked and initialised first
  void theQuickStartRunsAnEmbeddedDatabaseWithTheDemoTable() throws Exception {
    int port = freePort();
    Path clone = PlankProcess.tempDir("plank-quickstart");
    try (PlankProcess plank =
        PlankProcess.startJar(PlankProcess.jar(), clone, Map.of(), "--port", "" + port)) {
      String line = plank.awaitLine(l -> l.startsWith("Plank listening"), Duration.ofSeconds(150));
      assertThat(line).contains("(database: embedded PostgreSQL at ", "; capturing items)");
      assertThat(PlankProcess.httpStatus("http://127.0.0.1:" + port + "/api/items")).isEqualTo(200);
      plank.sigterm();
      assertThat(plank.awaitExit(Duration.ofSeconds(30))).isZero();
    } finally {
      PlankProcess.deleteTree(clone);
    }
  }

  private static PlankProcess start(String... args) {
    return PlankProcess.startJar(
        PlankProcess.jar(), dir, Map.of("DATABASE_URL", TestPlank.url(database)), args);
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
