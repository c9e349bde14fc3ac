package dev.plank.db;

import dev.plank.config.ConnectionSettings.PoolMode;
import dev.plank.config.DatabaseUrl;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Removes Plank from a database: its triggers on the captured tables, its functions, and the schema
 * {@code plank} with the change log and the schema's version history. The user's tables and rows
 * are left as they are. One transaction, under the install lock. Blocking (JDBC).
 */
public final class Uninstaller {
  private Uninstaller() {}

  /** What there is to remove, as the lines a dry run prints. */
  public static List<String> plan(DatabaseUrl db, PoolMode mode) throws SQLException {
    try (Connection conn = Jdbc.connect(db, mode, "plank-uninstall")) {
      return steps(conn).stream().map(Step::description).toList();
    }
  }

  /** Removes everything, reporting one line per step done. */
  public static void run(DatabaseUrl db, PoolMode mode, Consumer<String> done) throws SQLException {
    try (Connection conn = Jdbc.connect(db, mode, "plank-uninstall")) {
      conn.setAutoCommit(false);
      List<String> lines = new ArrayList<>();
      try (Statement stmt = conn.createStatement()) {
        stmt.execute("SELECT pg_advisory_xact_lock(" + SchemaInstaller.INIT_LOCK + ")");
        for (Step step : steps(conn)) {
          stmt.execute(step.sql());
          lines.add(step.done());
        }
        conn.commit();
      } catch (SQLException | RuntimeException e) {
        conn.rollback();
        throw e;
      }
      lines.forEach(done);
    }
  }

  /** One thing to drop: its SQL is built from names the catalog gave, quoted. */
  record Step(String description, String sql, String done) {}

  private static List<Step> steps(Connection conn) throws SQLException {
    List<Step> steps = new ArrayList<>();
    try (Statement stmt = conn.createStatement();
        ResultSet rs =
            stmt.executeQuery(
                "SELECT quote_ident(tn.nspname) || '.' || quote_ident(c.relname) AS tbl,"
                    + " quote_ident(t.tgname) AS tg, tn.nspname || '.' || c.relname AS shown"
                    + " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                    + " JOIN pg_namespace tn ON tn.oid = c.relnamespace"
                    + " JOIN pg_proc p ON p.oid = t.tgfoid"
                    + " JOIN pg_namespace pn ON pn.oid = p.pronamespace"
                    + " WHERE pn.nspname = 'plank' AND NOT t.tgisinternal ORDER BY 3, 2")) {
      while (rs.next()) {
        String shown = "trigger " + rs.getString("tg") + " on " + rs.getString("shown");
        steps.add(
            new Step(
                shown,
                "DROP TRIGGER " + rs.getString("tg") + " ON " + rs.getString("tbl"),
                "dropped " + shown));
      }
    }
    List<String> functions = new ArrayList<>();
    try (Statement stmt = conn.createStatement();
        ResultSet rs =
            stmt.executeQuery(
                "SELECT p.oid::regprocedure::text FROM pg_proc p"
                    + " JOIN pg_namespace n ON n.oid = p.pronamespace"
                    + " WHERE n.nspname = 'plank' ORDER BY 1")) {
      while (rs.next()) functions.add(rs.getString(1));
    }
    if (!functions.isEmpty()) {
      String shown = "functions " + String.join(", ", functions);
      // regprocedure's text is already quoted as needed.
      steps.add(
          new Step(shown, "DROP FUNCTION " + String.join(", ", functions), "dropped " + shown));
    }
    try (Statement stmt = conn.createStatement();
        ResultSet rs = stmt.executeQuery("SELECT 1 FROM pg_namespace WHERE nspname = 'plank'")) {
      if (rs.next()) {
        String shown = "schema plank (the change log and the schema's version history)";
        steps.add(new Step(shown, "DROP SCHEMA plank CASCADE", "dropped " + shown));
      }
    }
    return steps;
  }
}
