package dev.plank.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.CliOutput;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code plank init}: idempotent, names a missing table, and leaves nothing half-installed. */
class InitCommandTest {
  static DatabaseUrl database;
  static TestDb db;

  @BeforeAll
  static void create() {
    database = TestDatabases.create(InitCommandTest.class);
    db = new TestDb(database);
  }

  @AfterAll
  static void drop() {
    TestDatabases.drop(database);
  }

  @Test
  void initTwiceIsHarmlessAndCapturesTheConfiguredTables() {
    db.execute("CREATE TABLE IF NOT EXISTS orders (id int primary key, total numeric)");
    db.execute("CREATE TABLE IF NOT EXISTS lines (id int primary key)");
    CliOutput first = run("init", "--tables", "lines,public.orders");
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.out()).contains("public.lines", "public.orders");
    db.execute("INSERT INTO orders VALUES (1, 9.5)");
    CliOutput second = run("init", "--tables", "lines,public.orders");
    assertThat(second.code()).as(second.err()).isZero();
    db.execute("INSERT INTO orders VALUES (2, 10)");

    assertThat(db.count("SELECT count(*) FROM pg_trigger WHERE tgname = 'plank_capture'"))
        .isEqualTo(2);
    assertThat(db.count("SELECT count(*) FROM plank.changes WHERE table_name = 'orders'"))
        .isEqualTo(2);
  }

  @Test
  void initCreatesNothingInTheUsersSchemasUnlessAskedForTheDemo() {
    DatabaseUrl fresh = TestDatabases.create(InitCommandTest.class);
    TestDb freshDb = new TestDb(fresh);
    try {
      freshDb.execute("CREATE TABLE orders (id int primary key)");
      CliOutput result = run(fresh, "init", "--tables", "orders");
      assertThat(result.code()).as(result.err()).isZero();
      assertThat(tablesOutsidePlank(freshDb)).containsExactly("public.orders");

      CliOutput demo = run(fresh, "init", "--demo", "--tables", "orders,items");
      assertThat(demo.code()).as(demo.err()).isZero();
      assertThat(demo.out()).contains("public.orders, public.items");
      assertThat(tablesOutsidePlank(freshDb)).containsExactly("public.items", "public.orders");
    } finally {
      TestDatabases.drop(fresh);
    }
  }

  @Test
  void withoutTheDemoTableTheErrorSaysHowToGetIt() {
    CliOutput result = run("init", "--tables", "items");
    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err().strip())
        .isEqualTo(
            "plank init: table public.items does not exist (check PLANK_TABLES / --tables; names"
                + " are case-sensitive; --demo creates the demo table public.items)");
  }

  @Test
  void everyCommandTakesHelp() {
    for (String[] args :
        new String[][] {
          {"--help"}, {"init", "--help"}, {"serve", "--help"}, {"--port", "1", "-h"}
        }) {
      CliOutput help = runWithEnv(Map.of(), args);
      assertThat(help.code()).as(String.join(" ", args) + ": " + help.err()).isZero();
      assertThat(help.err()).isEmpty();
      assertThat(help.out()).startsWith("Usage: plank").contains("--help");
    }
    assertThat(runWithEnv(Map.of(), "init", "--help").out())
        .startsWith("Usage: plank init")
        .contains("--database-url", "--tables", "--demo");
    assertThat(runWithEnv(Map.of(), "serve", "--help").out())
        .startsWith("Usage: plank serve")
        .contains("--port", "--no-init", "--demo");
  }

  private static java.util.List<String> tablesOutsidePlank(TestDb db) {
    return db
        .query(
            "SELECT schemaname || '.' || tablename AS t FROM pg_tables"
                + " WHERE schemaname NOT IN ('plank', 'pg_catalog', 'information_schema')"
                + " ORDER BY 1")
        .stream()
        .map(row -> (String) row.get("t"))
        .toList();
  }

  @Test
  void anUnknownTableIsOneClearLineAndInstallsNothing() {
    DatabaseUrl fresh = TestDatabases.create(InitCommandTest.class);
    try {
      new TestDb(fresh).execute("CREATE TABLE items (id int primary key)");
      CliOutput result = run(fresh, "init", "--tables", "items,missing_table");
      assertThat(result.code()).isEqualTo(1);
      assertThat(result.err().strip())
          .isEqualTo(
              "plank init: table public.missing_table does not exist"
                  + " (check PLANK_TABLES / --tables; names are case-sensitive)");
      assertThat(
              new TestDb(fresh).count("SELECT count(*) FROM pg_namespace WHERE nspname = 'plank'"))
          .as("the whole install rolled back")
          .isZero();
    } finally {
      TestDatabases.drop(fresh);
    }
  }

  @Test
  void aMalformedSettingStopsWithOneLineNamingIt() {
    CliOutput badUrl = runWithEnv(Map.of(), "init", "--database-url", "mysql://nope");
    assertThat(badUrl.code()).isEqualTo(2);
    assertThat(badUrl.err().strip())
        .isEqualTo("plank: DATABASE_URL must start with postgresql:// (got 'mysql')");

    CliOutput badPort =
        runWithEnv(
            Map.of("PLANK_PORT", "eighty", "DATABASE_URL", TestPlank.url(database)), "serve");
    assertThat(badPort.code()).isEqualTo(2);
    assertThat(badPort.err().strip())
        .isEqualTo("plank: PLANK_PORT must be a whole number from 0 to 65535 (got 'eighty')");
  }

  @Test
  void serveFailsFastOnAnUnknownTable() {
    CliOutput result =
        runWithEnv(
            Map.of(
                "DATABASE_URL", TestPlank.url(database), "PLANK_PORT", "0", "PLANK_TABLES", "nope"),
            "serve");
    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err()).contains("table public.nope does not exist");
  }

  private static CliOutput run(String... args) {
    return run(database, args);
  }

  private static CliOutput run(DatabaseUrl url, String... args) {
    String[] full = new String[args.length + 2];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--database-url";
    full[args.length + 1] = TestPlank.url(url);
    return CliOutput.capture(() -> Main.run(full, Map.of()));
  }

  private static CliOutput runWithEnv(Map<String, String> env, String... args) {
    return CliOutput.capture(() -> Main.run(args, env));
  }
}
