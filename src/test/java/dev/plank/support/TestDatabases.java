package dev.plank.support;

import dev.plank.config.DatabaseUrl;
import dev.plank.db.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds the PostgreSQL server for tests: {@code PLANK_TEST_DATABASE_URL}, else the local server on
 * 127.0.0.1:5432 when it answers, else an embedded one. Each test class gets a database of its own
 * on it, so classes never see each other's changes.
 */
public final class TestDatabases {
  private static DatabaseUrl server; // the JVM's one server, found once

  private TestDatabases() {}

  public static synchronized DatabaseUrl server() {
    if (server != null) return server;
    String configured = System.getenv("PLANK_TEST_DATABASE_URL");
    if (configured != null && !configured.isBlank()) {
      server = DatabaseUrl.parse("PLANK_TEST_DATABASE_URL", configured);
    } else {
      DatabaseUrl local =
          DatabaseUrl.parse("local", "postgresql://postgres@127.0.0.1:5432/postgres");
      server = answers(local) ? local : embedded();
    }
    return server;
  }

  /** Creates an empty database for a test class and answers its URL. */
  public static DatabaseUrl create(Class<?> owner) {
    String name =
        "plank_t_"
            + owner.getSimpleName().toLowerCase(Locale.ROOT)
            + "_"
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
    execute(server(), "CREATE DATABASE " + name);
    return server().withDatabase(name);
  }

  public static void drop(DatabaseUrl database) {
    execute(server(), "DROP DATABASE IF EXISTS " + database.database() + " WITH (FORCE)");
  }

  public static Connection connect(DatabaseUrl url) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", url.user());
    if (url.password() != null) props.setProperty("password", url.password());
    return DriverManager.getConnection(
        "jdbc:postgresql://" + url.host() + ":" + url.port() + "/" + url.database(), props);
  }

  private static void execute(DatabaseUrl url, String sql) {
    try (Connection conn = connect(url)) {
      conn.createStatement().execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static boolean answers(DatabaseUrl url) {
    try (Connection conn = connect(url)) {
      return conn.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  private static DatabaseUrl embedded() {
    try {
      Path dir = Files.createTempDirectory("plank-test-pg");
      EmbeddedDatabase db = EmbeddedDatabase.start(dir);
      Runtime.getRuntime().addShutdownHook(new Thread(db::close));
      return db.url();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
