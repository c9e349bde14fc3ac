package dev.plank.db;

import dev.plank.config.ConnectionSettings.PoolMode;
import dev.plank.config.DatabaseUrl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The versioned part of the {@code plank} schema: Flyway migrations in {@code
 * dev/plank/db/migration}, with their history in {@code plank.flyway_schema_history}.
 *
 * <p>A database installed before the schema had versions has the schema {@code plank} but no
 * history: Flyway's baseline then records it as version 1, which is exactly what that Plank
 * installed ({@code V1__plank_schema.sql}), and applies only what came after.
 *
 * <p>Blocking (JDBC): callers run it off the event loops.
 */
public final class SchemaMigrations {
  static final String LOCATION = "classpath:dev/plank/db/migration";
  static final String HISTORY_TABLE = "flyway_schema_history";

  /** What a migration run did. */
  public record Result(String version, int applied, boolean baselined) {
    /** For the start-up line: {@code schema v1}, with what changed if anything did. */
    public String brief() {
      if (baselined) return "schema v" + version + ", recognised from before versioning";
      if (applied > 0) {
        return "schema v"
            + version
            + ", "
            + applied
            + (applied == 1 ? " migration" : " migrations")
            + " applied";
      }
      return "schema v" + version;
    }

    /** One line for the log. */
    public String describe() {
      return "Schema plank at version "
          + version
          + " (applied "
          + applied
          + (applied == 1 ? " migration" : " migrations")
          + (baselined ? "; an install from before versioning was recognised as version 1" : "")
          + ")";
    }
  }

  private SchemaMigrations() {}

  public static Result migrate(DatabaseUrl db, PoolMode mode) {
    return migrate(db, mode, LOCATION);
  }

  /**
   * Migrates under {@link SchemaInstaller#INIT_LOCK}, so that any number of nodes and {@code plank
   * init} runs may start at once: the first applies what is missing, the others then find nothing
   * to do. Flyway takes a lock of its own too, but only around each migration; the history table's
   * creation and the baseline are not covered by it. The lock is a transaction-level one on a
   * connection of its own, held open while Flyway works: that also holds behind a pooler in
   * transaction mode, where a session-level lock could be taken and released on different server
   * connections.
   *
   * @param locations Flyway locations; tests add their own later versions
   */
  static Result migrate(DatabaseUrl db, PoolMode mode, String... locations) {
    try (Connection lock = Jdbc.connect(db, mode, "plank-init")) {
      lock.setAutoCommit(false);
      try (Statement stmt = lock.createStatement()) {
        stmt.execute("SELECT pg_advisory_xact_lock(" + SchemaInstaller.INIT_LOCK + ")");
        boolean baseline;
        try (ResultSet rs =
            stmt.executeQuery(
                "SELECT to_regclass('plank.changes') IS NOT NULL"
                    + " AND to_regclass('plank."
                    + HISTORY_TABLE
                    + "') IS NULL")) {
          rs.next();
          baseline = rs.getBoolean(1);
        }
        Result result = flyway(db, mode, baseline, locations);
        lock.commit();
        return result;
      } finally {
        if (!lock.getAutoCommit()) lock.rollback();
      }
    } catch (SQLException e) {
      throw failure(e);
    } catch (FlywayException e) {
      SQLException sql = sqlCause(e);
      if (sql != null && isConnectionProblem(sql)) throw failure(sql);
      throw new IllegalStateException("cannot migrate the schema plank: " + firstLine(e), e);
    }
  }

  private static Result flyway(
      DatabaseUrl db, PoolMode mode, boolean baseline, String... locations) {
    Flyway flyway =
        Flyway.configure()
            .dataSource(Jdbc.url(db, mode, "plank-init"), db.user(), db.password())
            .schemas("plank")
            .table(HISTORY_TABLE)
            .locations(locations)
            .baselineOnMigrate(true)
            .baselineVersion("1")
            .baselineDescription("Plank schema installed before versioning")
            .loggers("slf4j")
            .load();
    MigrateResult result = flyway.migrate();
    MigrationInfo current = flyway.info().current();
    return new Result(
        current == null ? "none" : current.getVersion().getVersion(),
        result.migrationsExecuted,
        baseline);
  }

  /** A lost or refused connection is worth retrying, as the rest of start-up does. */
  private static RuntimeException failure(SQLException e) {
    if (isConnectionProblem(e)) {
      return new UncheckedIOException(new IOException(firstLine(e), e));
    }
    return new IllegalStateException("cannot migrate the schema plank: " + firstLine(e), e);
  }

  private static boolean isConnectionProblem(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    return state.startsWith("08") || state.startsWith("57P");
  }

  private static SQLException sqlCause(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof SQLException sql) return sql;
    }
    return null;
  }

  private static String firstLine(Throwable e) {
    String message = String.valueOf(e.getMessage()).strip();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline).strip();
  }
}
