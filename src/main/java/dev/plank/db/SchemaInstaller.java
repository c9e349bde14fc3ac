package dev.plank.db;

import dev.plank.config.ConnectionSettings.PoolMode;
import dev.plank.config.DatabaseUrl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs Plank in a database: the versioned {@code plank} schema ({@link SchemaMigrations}), then
 * one trigger per captured table, which depends on the configuration and so is no migration. Each
 * step is idempotent and serialised across nodes by an advisory lock.
 */
public final class SchemaInstaller {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaInstaller.class);

  /** The NOTIFY channel the trigger sends on and the listener listens to. */
  public static final String CHANNEL = "plank";

  /** Serialises installs, migrations and uninstalls; the same key as Plank 0.1's installer. */
  static final long INIT_LOCK = 0x706c616e6b01L; // "plank" + 1

  private static final String DEMO_SQL = resource("demo.sql");

  private SchemaInstaller() {}

  /**
   * Installs everything and answers the captured tables as the catalog describes them, and the
   * schema's version. First checks the server and the tables (with {@code demo}, creating the demo
   * table {@code public.items} if it is missing), so that a misnamed table installs nothing; then
   * migrates the schema, off the event loops; then installs the triggers, in one transaction.
   */
  /** What an install found and did. */
  public record Installed(List<TableInfo> tables, SchemaMigrations.Result schema) {}

  public static Future<Installed> install(
      Vertx vertx, Pool pool, DatabaseUrl url, PoolMode mode, List<TableRef> tables, boolean demo) {
    return pool.withTransaction(
            conn ->
                checkVersion(conn)
                    .compose(v -> lock(conn))
                    .compose(
                        v ->
                            demo
                                ? conn.query(DEMO_SQL).execute().mapEmpty()
                                : Future.succeededFuture())
                    .compose(v -> Catalog.describe(conn, tables)))
        .compose(checked -> vertx.executeBlocking(() -> SchemaMigrations.migrate(url, mode), false))
        .compose(
            migrated -> {
              // Said by the caller, in its one start-up line.
              LOG.debug(migrated.describe());
              return pool.withTransaction(
                  conn ->
                      lock(conn)
                          .compose(v -> Catalog.describe(conn, tables))
                          .compose(
                              infos ->
                                  installTriggers(conn, infos)
                                      .map(new Installed(infos, migrated))));
            });
  }

  private static Future<Void> lock(SqlConnection conn) {
    return conn.query("SELECT pg_advisory_xact_lock(" + INIT_LOCK + ")")
        .execute()
        // "already exists, skipping" notices from the demo table on every start after the first.
        .compose(v -> conn.query("SET LOCAL client_min_messages = warning").execute())
        .mapEmpty();
  }

  private static Future<Void> checkVersion(SqlConnection conn) {
    return conn.query("SELECT current_setting('server_version_num')::int")
        .execute()
        .map(
            rows -> {
              int version = rows.iterator().next().getInteger(0);
              if (version < 140000) {
                throw new IllegalStateException(
                    "Plank needs PostgreSQL 14 or newer; this server is " + version / 10000);
              }
              return null;
            });
  }

  private static Future<Void> installTriggers(SqlConnection conn, List<TableInfo> tables) {
    StringBuilder ddl = new StringBuilder();
    for (TableInfo table : tables) {
      // The name is quoted, and the catalog has just confirmed that the table exists.
      ddl.append("CREATE OR REPLACE TRIGGER plank_capture AFTER INSERT OR UPDATE OR DELETE ON ")
          .append(table.ref().quoted())
          .append(" FOR EACH ROW EXECUTE FUNCTION plank.capture();\n");
    }
    return ddl.isEmpty()
        ? Future.succeededFuture()
        : conn.query(ddl.toString()).execute().mapEmpty();
  }

  private static String resource(String name) {
    try (InputStream in = SchemaInstaller.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing resource " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
