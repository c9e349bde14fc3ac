package dev.plank.cli;

import dev.plank.Plank;
import dev.plank.config.ConnectionSettings.PoolMode;
import dev.plank.config.Settings;
import dev.plank.db.EmbeddedDatabase;
import dev.plank.db.SchemaInstaller;
import dev.plank.db.TableRef;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code plank init}: installs the change log and the triggers, then exits. */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description =
        "Install or upgrade the plank schema (versioned migrations), then the triggers"
            + " (idempotent; safe from several nodes at once). Creates nothing outside the schema"
            + " plank unless --demo.")
final class InitCommand implements Callable<Integer>, Main.EnvAware {
  @Mixin Main.CommonOptions common = new Main.CommonOptions();

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
    var url = embedded != null ? embedded.url() : settings.databaseUrl();
    Vertx vertx = Vertx.vertx();
    PoolMode mode = settings.connections().poolMode();
    Pool pool = PgBuilder.pool().connectingTo(Plank.poolOptions(url, mode)).using(vertx).build();
    try {
      List<TableRef> tables = settings.tables().stream().map(TableRef::parse).toList();
      SchemaInstaller.Installed installed =
          SchemaInstaller.install(
                  vertx,
                  pool,
                  url,
                  mode,
                  tables,
                  settings.demo() || embedded != null,
                  settings.capture())
              .toCompletionStage()
              .toCompletableFuture()
              .get();
      System.out.println(
          "plank init: "
              + installed.schema().brief()
              + "; triggers installed on "
              + String.join(", ", installed.tables().stream().map(t -> t.ref().toString()).toList())
              + " ("
              + url.redacted()
              + ")");
      return 0;
    } catch (ExecutionException e) {
      System.err.println("plank init: " + e.getCause().getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      pool.close();
      vertx.close();
      if (embedded != null) embedded.close();
    }
  }
}
