package dev.plank.db;

import dev.plank.config.CaptureSettings;
import dev.plank.config.ConnectionSettings.PoolMode;
import dev.plank.config.DatabaseUrl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
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

  /** As below, with trigger capture. */
  public static Future<Installed> install(
      Vertx vertx, Pool pool, DatabaseUrl url, PoolMode mode, List<TableRef> tables, boolean demo) {
    return install(vertx, pool, url, mode, tables, demo, TRIGGER);
  }

  private static final CaptureSettings TRIGGER =
      new CaptureSettings(CaptureSettings.Mode.TRIGGER, "plank", true, Long.MAX_VALUE);

  public static Future<Installed> install(
      Vertx vertx,
      Pool pool,
      DatabaseUrl url,
      PoolMode mode,
      List<TableRef> tables,
      boolean demo,
      CaptureSettings capture) {
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
            migrated ->
                (capture.wal()
                        ? slotBeforeSwitch(pool, capture, tables)
                        : Future.<Void>succeededFuture())
                    .map(migrated))
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
                                  (capture.wal()
                                          ? installWal(conn, infos, capture)
                                          : installTriggers(conn, infos)
                                              .compose(v -> leaveWal(conn, capture)))
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
      ddl.append("CREATE OR REPLACE TRIGGER plank_truncate AFTER TRUNCATE ON ")
          .append(table.ref().quoted())
          .append(" FOR EACH STATEMENT EXECUTE FUNCTION plank.capture_truncate();\n");
    }
    return ddl.isEmpty()
        ? Future.succeededFuture()
        : conn.query(ddl.toString()).execute().mapEmpty();
  }

  /**
   * Switching back from WAL mode: the slot's undecoded changes are given up, so every subscriber
   * (on every node, and every cursor from before) is told to resync through the log, in the
   * transaction that installs the triggers; then the slot is dropped, so it keeps no WAL. Refused
   * while a WAL-mode node still reads the slot: both would capture every change.
   */
  private static Future<Void> leaveWal(SqlConnection conn, CaptureSettings capture) {
    String slot = capture.slot();
    return conn.preparedQuery(
            // Slot names are server-wide: a slot of that name in another database is not ours.
            "SELECT (SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = $1"
                + " AND database = current_database()),"
                + " EXISTS (SELECT 1 FROM plank.wal_state WHERE slot_name = $1)")
        .execute(Tuple.of(slot))
        .compose(
            rows -> {
              Row row = rows.iterator().next();
              Integer pid = row.getInteger(0);
              boolean history = row.getBoolean(1);
              if (pid == null && !history) return Future.succeededFuture();
              if (pid != null && pid != 0) {
                throw new IllegalStateException(
                    "the replication slot "
                        + slot
                        + " is still read by a node with "
                        + CaptureSettings.CAPTURE
                        + "=wal: stop (or switch) every WAL-mode node before starting one with"
                        + " trigger capture");
              }
              LOG.warn(
                  "Switching from WAL capture to trigger capture: dropping the replication slot {};"
                      + " every subscriber resyncs once",
                  slot);
              return conn.query(RESYNC_ALL.formatted(slot))
                  .execute()
                  .compose(
                      v ->
                          conn.preparedQuery("DELETE FROM plank.wal_state WHERE slot_name = $1")
                              .execute(Tuple.of(slot)))
                  .compose(
                      v ->
                          pid == null
                              ? Future.succeededFuture()
                              : conn.preparedQuery("SELECT pg_drop_replication_slot($1)")
                                  .execute(Tuple.of(slot))
                                  .mapEmpty());
            })
        .mapEmpty();
  }

  // One entry without rows per published table (what a TRUNCATE writes): a resync on its channel.
  private static final String RESYNC_ALL =
      "WITH m AS (INSERT INTO plank.changes (xid, snapshot_xmin, ts, schema_name, table_name, op,"
          + " data, old) SELECT pg_current_xact_id(), pg_snapshot_xmin(pg_current_snapshot()),"
          + " clock_timestamp(), p.schemaname, p.tablename, 'TRUNCATE', NULL, NULL FROM"
          + " pg_publication_tables p WHERE p.pubname = '%s' ORDER BY 4, 5 RETURNING *)"
          + " SELECT count(pg_notify('"
          + CHANNEL
          + "', plank.change_json(m))) FROM m";

  // ---- WAL capture (PLANK_CAPTURE=wal) ----

  /**
   * Switching from trigger capture: the slot must exist before the triggers go, or the commits in
   * between would be captured by neither. A slot cannot be created in a transaction that has
   * written, so it is created here, alone; the switch's transaction then records where the slot
   * takes over.
   */
  private static Future<Void> slotBeforeSwitch(
      Pool pool, CaptureSettings capture, List<TableRef> tables) {
    // pgoutput looks the publication up as of each decoded transaction: it must predate the slot.
    return pool.query(createPublication(capture))
        .execute()
        .compose(
            v ->
                pool.preparedQuery(
                        "SELECT pg_create_logical_replication_slot($1, 'pgoutput') WHERE NOT EXISTS (SELECT 1"
                            + " FROM pg_replication_slots WHERE slot_name = $1) AND "
                            + TRIGGERED)
                    .execute(Tuple.of(capture.slot()).addArrayOfString(quoted(tables))))
        .mapEmpty();
  }

  /** The slot name is validated by CaptureSettings ([a-z0-9_]) and quoted. */
  private static String createPublication(CaptureSettings capture) {
    return "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '"
        + capture.slot()
        + "') THEN CREATE PUBLICATION "
        + TableRef.quote(capture.slot())
        + "; END IF; END $$";
  }

  /** Whether a capture trigger is on one of the tables ($2, quoted names): trigger mode ran. */
  private static final String TRIGGERED =
      "EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'plank_capture' AND tgrelid = ANY (SELECT"
          + " to_regclass(t) FROM unnest($2::text[]) t))";

  private static String[] quoted(List<TableRef> tables) {
    return tables.stream().map(TableRef::quoted).toArray(String[]::new);
  }

  /**
   * No triggers (a table switched from trigger mode loses them), the old row in full for UPDATE
   * filters and unchanged TOASTed values (unless opted out), and the publication the leader's slot
   * reads, naming exactly the configured tables. The slot itself is created by the leader: a slot
   * cannot be created in a transaction that has written.
   */
  private static Future<Void> installWal(
      SqlConnection conn, List<TableInfo> tables, CaptureSettings capture) {
    // The slot name is validated by CaptureSettings ([a-z0-9_]) and quoted.
    String publication = TableRef.quote(capture.slot());
    return conn.preparedQuery("SELECT $1::text IS NOT NULL AND " + TRIGGERED)
        .execute(
            Tuple.of(capture.slot())
                .addArrayOfString(quoted(tables.stream().map(TableInfo::ref).toList())))
        .compose(
            rows ->
                conn.query(
                        walDdl(tables, capture, publication, rows.iterator().next().getBoolean(0)))
                    .execute()
                    .mapEmpty());
  }

  private static String walDdl(
      List<TableInfo> tables, CaptureSettings capture, String publication, boolean fromTriggers) {
    StringBuilder ddl = new StringBuilder();
    ddl.append("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '")
        .append(capture.slot())
        .append("') THEN CREATE PUBLICATION ")
        .append(publication)
        .append("; END IF; END $$;\n");
    StringBuilder list = new StringBuilder();
    for (TableInfo table : tables) {
      String name = table.ref().quoted();
      ddl.append("DROP TRIGGER IF EXISTS plank_capture ON ").append(name).append(";\n");
      ddl.append("DROP TRIGGER IF EXISTS plank_truncate ON ").append(name).append(";\n");
      if (capture.replicaIdentityFull()) {
        ddl.append("ALTER TABLE ").append(name).append(" REPLICA IDENTITY FULL;\n");
      }
      if (!list.isEmpty()) list.append(", ");
      list.append(name);
    }
    if (!list.isEmpty()) {
      ddl.append("ALTER PUBLICATION ").append(publication).append(" SET TABLE ").append(list);
      ddl.append(";\n");
    }
    if (fromTriggers) {
      // Dropping the triggers locks each table against writers until this commits: every commit
      // before this point has its trigger's log entry, every later one is the slot's. The leader
      // skips transactions that committed before it (their entries are in the log already).
      ddl.append(
              "INSERT INTO plank.wal_state (slot_name, commit_lsn, changes_done, end_lsn) VALUES ('")
          .append(capture.slot())
          .append(
              "', pg_current_wal_insert_lsn(), 0, pg_current_wal_insert_lsn()) ON CONFLICT"
                  + " (slot_name) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn, changes_done = 0,"
                  + " end_lsn = EXCLUDED.end_lsn WHERE plank.wal_state.commit_lsn <"
                  + " EXCLUDED.commit_lsn;\n");
    }
    return ddl.toString();
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
