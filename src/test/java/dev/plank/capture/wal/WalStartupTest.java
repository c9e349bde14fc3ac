package dev.plank.capture.wal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plank.config.DatabaseUrl;
import dev.plank.db.EmbeddedDatabase;
import dev.plank.support.LogicalPostgres;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** WAL capture refuses to start, with one clear line, where it cannot work. */
class WalStartupTest {

  @Test
  void aServerWithoutLogicalWalLevelIsRefused() throws Exception {
    DatabaseUrl shared = TestDatabases.create(WalStartupTest.class);
    if (!"logical".equals(walLevel(shared))) {
      assertRefused(shared, walLevel(shared));
      return;
    }
    // CI sets wal_level=logical on the shared server: a server of its own without it.
    Path dir = Files.createTempDirectory("plank-test-replica-pg");
    try (EmbeddedDatabase replica = EmbeddedDatabase.start(dir, Map.of("wal_level", "replica"))) {
      new TestDb(replica.url()).execute("CREATE DATABASE plank_replica_only");
      assertRefused(replica.url().withDatabase("plank_replica_only"), "replica");
    } finally {
      PlankProcess.deleteTree(dir);
    }
  }

  private static String walLevel(DatabaseUrl db) {
    return (String) new TestDb(db).query("SHOW wal_level").get(0).get("wal_level");
  }

  private static void assertRefused(DatabaseUrl db, String level) {
    assertThatThrownBy(() -> TestPlank.start(db, Map.of("PLANK_CAPTURE", "wal")))
        .hasMessageContaining(
            "PLANK_CAPTURE=wal needs wal_level=logical on the database server (it is '"
                + level
                + "')");
  }

  @Test
  void aRoleWithoutReplicationIsRefused() {
    DatabaseUrl server = LogicalPostgres.server();
    new TestDb(server)
        .execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'plank_norepl')"
                + " THEN CREATE ROLE plank_norepl LOGIN NOREPLICATION; END IF; END $$");
    DatabaseUrl db = LogicalPostgres.create(WalStartupTest.class);
    new TestDb(db).execute("ALTER DATABASE " + db.database() + " OWNER TO plank_norepl");
    new TestDb(db).execute("ALTER SCHEMA public OWNER TO plank_norepl");
    DatabaseUrl asRole =
        new DatabaseUrl(db.host(), db.port(), db.database(), "plank_norepl", null, db.params());
    try {
      assertThatThrownBy(() -> TestPlank.start(asRole, Map.of("PLANK_CAPTURE", "wal")))
          .hasMessageContaining(
              "PLANK_CAPTURE=wal needs a database role with the REPLICATION attribute, and"
                  + " 'plank_norepl' has not");
    } finally {
      LogicalPostgres.drop(db);
    }
  }
}
