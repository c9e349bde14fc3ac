package dev.plank.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.ConnectionSettings.PoolMode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The versioned schema: version 1 is what Plank 0.1 installed, such an install is recognised rather
 * than installed again, later versions apply on top, and several installers at once are safe.
 */
class SchemaMigrationsTest {
  private final List<DatabaseUrl> databases = new ArrayList<>();

  @AfterEach
  void drop() {
    databases.forEach(TestDatabases::drop);
  }

  private TestDb fresh() {
    DatabaseUrl url = TestDatabases.create(SchemaMigrationsTest.class);
    databases.add(url);
    return new TestDb(url);
  }

  @Test
  void versionOneIsExactlyTheSchemaPlankZeroOneInstalled() {
    TestDb released = fresh();
    released.execute(releasedSql());
    // Version 2 (WAL capture's state, the TRUNCATE trigger function) on top of the release, and
    // version 3 (broadcast and presence).
    released.execute(versionTwoSql());
    released.execute(migrationSql("V3__broadcast_and_presence.sql"));
    TestDb migrated = fresh();
    SchemaMigrations.Result result = SchemaMigrations.migrate(migrated.url(), PoolMode.SESSION);

    assertThat(result.describe()).isEqualTo("Schema plank at version 3 (applied 3 migrations)");
    assertThat(catalog(migrated)).isEqualTo(catalog(released)).hasSizeGreaterThan(10);
  }

  @Test
  void anInstallFromBeforeVersioningIsRecognisedAsVersionOneAndKeepsItsLog() {
    TestDb db = fresh();
    db.execute(releasedSql());
    db.execute("CREATE TABLE t (id int PRIMARY KEY)");
    db.execute(
        "CREATE TRIGGER plank_capture AFTER INSERT OR UPDATE OR DELETE ON t"
            + " FOR EACH ROW EXECUTE FUNCTION plank.capture()");
    db.execute("INSERT INTO t VALUES (1), (2)");

    SchemaMigrations.Result result = SchemaMigrations.migrate(db.url(), PoolMode.SESSION);

    assertThat(result.describe())
        .isEqualTo(
            "Schema plank at version 3 (applied 2 migrations; an install from before versioning"
                + " was recognised as version 1)");
    assertThat(db.count("SELECT count(*) FROM plank.changes")).isEqualTo(2);
    assertThat(
            db.query(
                "SELECT version, type FROM plank.flyway_schema_history ORDER BY installed_rank"))
        .containsExactly(
            Map.of("version", "1", "type", "BASELINE"),
            Map.of("version", "2", "type", "SQL"),
            Map.of("version", "3", "type", "SQL"));

    // A later version applies on top of the baseline; the log and the trigger carry on.
    SchemaMigrations.Result upgraded =
        SchemaMigrations.migrate(
            db.url(),
            PoolMode.SESSION,
            SchemaMigrations.LOCATION,
            "classpath:dev/plank/db/testmigration");
    assertThat(upgraded.describe()).isEqualTo("Schema plank at version 900 (applied 1 migration)");
    assertThat(db.count("SELECT count(*) FROM plank.test_probe")).isZero();
    db.execute("INSERT INTO t VALUES (3)");
    assertThat(db.query("SELECT seq FROM plank.changes ORDER BY seq"))
        .extracting(r -> ((Number) r.get("seq")).longValue())
        .containsExactly(1L, 2L, 3L);
  }

  @Test
  void migratingAgainAppliesNothing() {
    TestDb db = fresh();
    SchemaMigrations.migrate(db.url(), PoolMode.SESSION);
    assertThat(SchemaMigrations.migrate(db.url(), PoolMode.SESSION).describe())
        .isEqualTo("Schema plank at version 3 (applied 0 migrations)");
  }

  @Test
  void severalNodesInstallingAtOnceAreSafe() throws Exception {
    TestDb db = fresh();
    db.execute("CREATE TABLE t (id int PRIMARY KEY)");
    int nodes = 6;
    Vertx vertx = Vertx.vertx();
    List<Pool> pools = new ArrayList<>();
    List<Future<SchemaInstaller.Installed>> installs = new ArrayList<>();
    try {
      for (int i = 0; i < nodes; i++) {
        Pool pool = PgBuilder.pool().connectingTo(db.url().connectOptions()).using(vertx).build();
        pools.add(pool);
        installs.add(
            SchemaInstaller.install(
                vertx, pool, db.url(), PoolMode.SESSION, List.of(TableRef.parse("t")), false));
      }
      Future.join(installs)
          .otherwiseEmpty()
          .toCompletionStage()
          .toCompletableFuture()
          .get(120, TimeUnit.SECONDS);
    } finally {
      pools.forEach(Pool::close);
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    for (Future<SchemaInstaller.Installed> install : installs) {
      assertThat(install.succeeded()).as(String.valueOf(install.cause())).isTrue();
    }
    assertThat(
            db.count(
                "SELECT count(*) FROM plank.flyway_schema_history WHERE version = '1' AND success"))
        .isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM pg_trigger WHERE tgname = 'plank_capture'"))
        .isEqualTo(1);
    db.execute("INSERT INTO t VALUES (1)");
    assertThat(db.count("SELECT count(*) FROM plank.changes")).isEqualTo(1);
  }

  /** What the schema plank consists of, as text: columns, indexes, constraints, functions, rows. */
  static List<String> catalog(TestDb db) {
    List<String> lines = new ArrayList<>();
    for (var row :
        db.query(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity"
                + " FROM information_schema.columns WHERE table_schema = 'plank'"
                + " AND table_name <> 'flyway_schema_history' ORDER BY 1, ordinal_position")) {
      lines.add("column " + row);
    }
    for (var row :
        db.query(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'plank'"
                + " AND tablename <> 'flyway_schema_history' ORDER BY 1")) {
      lines.add("index " + row);
    }
    for (var row :
        db.query(
            "SELECT conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c"
                + " JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'plank'"
                + " AND c.conrelid::regclass::text <> 'plank.flyway_schema_history'"
                + " ORDER BY 1")) {
      lines.add("constraint " + row);
    }
    for (var row :
        db.query(
            "SELECT pg_get_functiondef(p.oid) AS def, p.proacl::text AS acl FROM pg_proc p"
                + " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'plank'"
                + " ORDER BY p.proname")) {
      lines.add("function " + row);
    }
    for (var row : db.query("SELECT * FROM plank.log_state")) lines.add("log_state " + row);
    return lines;
  }

  static String releasedSql() {
    try (InputStream in =
        SchemaMigrationsTest.class.getResourceAsStream("/schema-v1-released.sql")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String versionTwoSql() {
    return migrationSql("V2__capture_wal_state_and_truncate.sql");
  }

  private static String migrationSql(String file) {
    try (var in =
        SchemaMigrationsTest.class.getResourceAsStream("/dev/plank/db/migration/" + file)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
