package dev.plank.support;

import dev.plank.config.DatabaseUrl;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real PgBouncer (Debian's package {@code pgbouncer}; {@code .ci/run} installs it) in front of
 * the test server, on a free port, with a generated configuration, in the given pool mode.
 */
public final class PgBouncer implements AutoCloseable {
  private static final Path BINARY = Path.of("/usr/sbin/pgbouncer");

  private final Process process;
  private final Path dir;
  private final int port;

  private PgBouncer(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /** Starts one; skips the calling test, saying so in the build's output, without pgbouncer. */
  public static PgBouncer start(String poolMode) {
    if (!Files.isExecutable(BINARY)) {
      String reason =
          "PgBouncer tests skipped: no " + BINARY + "; install with: apt-get install -y pgbouncer";
      new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8)
          .println("[WARNING] " + reason);
      Assumptions.abort(reason);
    }
    DatabaseUrl server = TestDatabases.server();
    int port = TestPlank.freePort();
    try {
      Path dir = Files.createTempDirectory("plank-pgbouncer");
      // PgBouncer refuses to run as root; as root it is started as nobody, who must read and
      // write here.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
      Path users = dir.resolve("users.txt");
      Files.writeString(users, "\"" + server.user() + "\" \"\"\n");
      Path ini = dir.resolve("pgbouncer.ini");
      Files.writeString(
          ini,
          String.join(
              "\n",
              "[databases]",
              "* = host=" + server.host() + " port=" + server.port(),
              "[pgbouncer]",
              "listen_addr = 127.0.0.1",
              "listen_port = " + port,
              "unix_socket_dir =",
              "auth_type = trust",
              "auth_file = " + users,
              "pool_mode = " + poolMode,
              "logfile = " + dir.resolve("pgbouncer.log"),
              "max_client_conn = 200",
              "default_pool_size = 10",
              "ignore_startup_parameters = extra_float_digits",
              ""));
      for (Path p : new Path[] {users, ini}) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
      }
      ProcessBuilder builder =
          "root".equals(System.getProperty("user.name"))
              ? new ProcessBuilder(BINARY.toString(), "-u", "nobody", ini.toString())
              : new ProcessBuilder(BINARY.toString(), ini.toString());
      Process process =
          builder
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("stdout.txt").toFile())
              .start();
      PgBouncer bouncer = new PgBouncer(process, dir, port);
      bouncer.awaitListening();
      return bouncer;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitListening() throws IOException {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "pgbouncer exited: " + Files.readString(dir.resolve("stdout.txt")));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) throw new IllegalStateException("pgbouncer not up", e);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** The URL of {@code database} through this pooler. */
  public String url(DatabaseUrl database) {
    return "postgresql://" + database.user() + "@127.0.0.1:" + port + "/" + database.database();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary directory is harmless
    }
  }
}
