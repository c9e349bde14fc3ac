package dev.plank.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.CliOutput;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code plank uninstall}: lists without --yes; with it, removes Plank and nothing else. */
class UninstallCommandTest {
  DatabaseUrl database;
  TestDb db;

  @BeforeEach
  void install() {
    database = TestDatabases.create(UninstallCommandTest.class);
    db = new TestDb(database);
    db.execute("CREATE TABLE orders (id int PRIMARY KEY, total numeric)");
    db.execute("CREATE SCHEMA shop");
    db.execute("CREATE TABLE shop.\"Lines\" (id int PRIMARY KEY)");
    CliOutput init = run("init", "--tables", "orders,shop.Lines");
    assertThat(init.code()).as(init.err()).isZero();
    db.execute("INSERT INTO orders VALUES (1, 9.5), (2, 10)");
    db.execute("INSERT INTO shop.\"Lines\" VALUES (7)");
  }

  @AfterEach
  void drop() {
    TestDatabases.drop(database);
  }

  @Test
  void withoutYesItListsWhatItWouldRemoveAndRemovesNothing() {
    CliOutput dry = run("uninstall");
    assertThat(dry.code()).isEqualTo(2);
    assertThat(dry.out())
        .contains(
            "  trigger plank_capture on public.orders\n",
            "  trigger plank_truncate on public.orders\n",
            "  trigger plank_capture on shop.Lines\n",
            "  trigger plank_truncate on shop.Lines\n",
            "  functions plank.broadcast(text,text,jsonb), plank.capture(), plank.capture_truncate(),"
                + " plank.change_json(plank.changes)\n",
            "  schema plank (the change log and the schema's version history)\n",
            "Run again with --yes");
    assertThat(triggers()).isEqualTo(2);
    assertThat(plankSchemas()).isEqualTo(1);
  }

  @Test
  void withYesItRemovesTriggersFunctionsAndTheSchemaAndKeepsTheUsersData() {
    CliOutput result = run("uninstall", "--yes");
    assertThat(result.code()).as(result.err()).isZero();
    assertThat(result.out().lines())
        .startsWith(
            "plank uninstall: dropped trigger plank_capture on public.orders",
            "plank uninstall: dropped trigger plank_truncate on public.orders",
            "plank uninstall: dropped trigger plank_capture on shop.Lines",
            "plank uninstall: dropped trigger plank_truncate on shop.Lines",
            "plank uninstall: dropped functions plank.broadcast(text,text,jsonb), plank.capture(),"
                + " plank.capture_truncate(),"
                + " plank.change_json(plank.changes)",
            "plank uninstall: dropped schema plank (the change log and the schema's version"
                + " history)");
    assertThat(triggers()).isZero();
    assertThat(plankSchemas()).isZero();
    assertThat(
            db.count(
                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    + " WHERE n.nspname = 'plank'"))
        .isZero();
    assertThat(db.count("SELECT sum(total) FROM orders")).isEqualTo(19);
    assertThat(db.count("SELECT count(*) FROM shop.\"Lines\"")).isEqualTo(1);
    db.execute("INSERT INTO orders VALUES (3, 1)"); // writes work without the trigger

    CliOutput again = run("uninstall");
    assertThat(again.code()).isZero();
    assertThat(again.out()).startsWith("plank uninstall: nothing of Plank's in");

    // And it can be installed again from scratch.
    CliOutput init = run("init", "--tables", "orders");
    assertThat(init.code()).as(init.err()).isZero();
    db.execute("INSERT INTO orders VALUES (4, 1)");
    assertThat(db.count("SELECT count(*) FROM plank.changes")).isEqualTo(1);
  }

  private long triggers() {
    return db.count("SELECT count(*) FROM pg_trigger WHERE tgname = 'plank_capture'");
  }

  private long plankSchemas() {
    return db.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'plank'");
  }

  private CliOutput run(String... args) {
    String[] full = new String[args.length + 2];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--database-url";
    full[args.length + 1] = TestPlank.url(database);
    return CliOutput.capture(() -> Main.run(full, Map.of()));
  }
}
