package dev.plank.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Installs the {@code plank} schema, the change log, the trigger function, and one trigger per
 * captured table: idempotent, in one transaction, serialised across nodes by an advisory lock.
 */
public final class SchemaInstaller {
  /** The NOTIFY channel the trigger sends on and the listener listens to. */
  public static final String CHANNEL = "plank";

  private static final long INIT_LOCK = 0x706c616e6b01L; // "plank" + 1
  private static final String SCHEMA_SQL = resource("schema.sql");
  private static final String DEMO_SQL = resource("demo.sql");

  private SchemaInstaller() {}

  /** Installs everything and answers the captured tables as the catalog describes them. */
  public static Future<List<TableInfo>> install(Pool pool, List<TableRef> tables) {
    return install(pool, tables, false);
  }

  /**
   * As {@link #install(Pool, List)}; with {@code demo}, first creates the demo table {@code
   * public.items} if it is missing.
   */
  public static Future<List<TableInfo>> install(Pool pool, List<TableRef> tables, boolean demo) {
    return pool.withTransaction(
        conn ->
            checkVersion(conn)
                .compose(
                    v -> conn.query("SELECT pg_advisory_xact_lock(" + INIT_LOCK + ")").execute())
                // Every start after the first would log "already exists, skipping" notices.
                .compose(v -> conn.query("SET LOCAL client_min_messages = warning").execute())
                .compose(v -> conn.query(SCHEMA_SQL).execute())
                .compose(
                    v ->
                        demo ? conn.query(DEMO_SQL).execute().mapEmpty() : Future.succeededFuture())
                .compose(v -> Catalog.describe(conn, tables))
                .compose(infos -> installTriggers(conn, infos).map(infos)));
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
