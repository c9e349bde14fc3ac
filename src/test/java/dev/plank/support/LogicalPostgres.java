package dev.plank.support;

import dev.plank.config.DatabaseUrl;
import dev.plank.db.EmbeddedDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A PostgreSQL server with {@code wal_level=logical} for the WAL capture tests: {@code
 * PLANK_TEST_LOGICAL_DATABASE_URL} when set, else an embedded server this JVM starts once (the
 * machine's shared server may run with {@code wal_level=replica}, and tests must not reconfigure
 * it). Each test class gets a database of its own; dropping it drops its replication slots first.
 */
public final class LogicalPostgres {
  private static DatabaseUrl server;

  private LogicalPostgres() {}

  public static synchronized DatabaseUrl server() {
    if (server != null) return server;
    String configured = System.getenv("PLANK_TEST_LOGICAL_DATABASE_URL");
    if (configured != null && !configured.isBlank()) {
      server = DatabaseUrl.parse("PLANK_TEST_LOGICAL_DATABASE_URL", configured);
      return server;
    }
    try {
      Path dir = Files.createTempDirectory("plank-test-logical-pg");
      EmbeddedDatabase db = EmbeddedDatabase.start(dir); // starts with wal_level=logical
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    db.close();
                    PlankProcess.deleteTree(dir);
                  }));
      server = db.url();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Creates an empty database for a test class on the logical server. */
  public static DatabaseUrl create(Class<?> owner) {
    String name =
        "plank_w_"
            + owner.getSimpleName().toLowerCase(Locale.ROOT)
            + "_"
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
    execute(server(), "CREATE DATABASE " + name);
    return server().withDatabase(name);
  }

  public static synchronized boolean owns(DatabaseUrl database) {
    return server != null
        && server.host().equals(database.host())
        && server.port() == database.port();
  }

  /** Drops the database and the replication slots in it (a slot keeps a database from a drop). */
  public static void drop(DatabaseUrl database) {
    execute(
        server(),
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '"
            + database.database()
            + "' AND active_pid IS NOT NULL");
    for (int attempt = 0; attempt < 50; attempt++) {
      try (Connection conn = TestDatabases.connect(server())) {
        conn.createStatement()
            .execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE"
                    + " database = '"
                    + database.database()
                    + "'");
        break;
      } catch (SQLException e) {
        sleep(); // still active for a moment after its walsender was told to end
      }
    }
    execute(server(), "DROP DATABASE IF EXISTS " + database.database() + " WITH (FORCE)");
  }

  private static void execute(DatabaseUrl url, String sql) {
    try (Connection conn = TestDatabases.connect(url)) {
      conn.createStatement().execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
