package dev.plank.cli;

import dev.plank.config.DatabaseUrl;
import dev.plank.config.Settings;
import dev.plank.db.EmbeddedDatabase;
import dev.plank.db.Uninstaller;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code plank uninstall --yes}: removes Plank's triggers, functions and the schema plank. */
@Command(
    name = "uninstall",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description =
        "Remove Plank from the database: its triggers on the captured tables, its functions and"
            + " the schema plank (the change log). Your tables and rows stay. Without --yes, only"
            + " lists what it would remove (exit code 2).")
final class UninstallCommand implements Callable<Integer>, Main.EnvAware {
  @Mixin Main.CommonOptions common = new Main.CommonOptions();

  @Option(names = "--yes", description = "Remove, rather than list what would be removed")
  boolean yes;

  private Map<String, String> env = Map.of();

  @Override
  public void env(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    Settings settings = common.settings(Map.of(), env);
    EmbeddedDatabase embedded =
        settings.databaseUrl() == null ? EmbeddedDatabase.start(settings.dataDir()) : null;
    DatabaseUrl url = embedded != null ? embedded.url() : settings.databaseUrl();
    try {
      if (!yes) {
        List<String> plan = Uninstaller.plan(url, settings.connections().poolMode());
        if (plan.isEmpty()) {
          System.out.println("plank uninstall: nothing of Plank's in " + url.redacted());
          return 0;
        }
        System.out.println("plank uninstall would remove from " + url.redacted() + ":");
        plan.forEach(line -> System.out.println("  " + line));
        System.out.println("Run again with --yes to remove them.");
        return 2;
      }
      Uninstaller.run(
          url,
          settings.connections().poolMode(),
          line -> System.out.println("plank uninstall: " + line));
      System.out.println("plank uninstall: done (" + url.redacted() + ")");
      return 0;
    } catch (SQLException e) {
      System.err.println("plank uninstall: " + e.getMessage());
      return 1;
    } finally {
      if (embedded != null) embedded.close();
    }
  }
}
