package dev.plank.cli;

import dev.plank.capture.wal.Slots;
import dev.plank.config.DatabaseUrl;
import dev.plank.config.Settings;
import dev.plank.db.Jdbc;
import dev.plank.db.TableRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code plank slot drop}: WAL mode's replication slot, which keeps WAL while no Plank reads it.
 */
@Command(
    name = "slot",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description = "Plank's replication slot (PLANK_CAPTURE=wal).",
    subcommands = {SlotCommand.Drop.class})
final class SlotCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Drops the slot and its publication, unless a running Plank reads it. */
  @Command(
      name = "drop",
      mixinStandardHelpOptions = true,
      version = Main.VERSION,
      description =
          "Drop Plank's replication slot (PLANK_SLOT) and its publication, so that the database"
              + " server stops keeping WAL for it. Refused while a running Plank reads the slot."
              + " If WAL mode runs again later, it creates a new slot and its subscribers resync.")
  static final class Drop implements Callable<Integer>, Main.EnvAware {
    @Mixin Main.CommonOptions common = new Main.CommonOptions();

    private Map<String, String> env = Map.of();

    @Override
    public void env(Map<String, String> env) {
      this.env = env;
    }

    @Override
    public Integer call() {
      Settings settings = common.settings(Map.of(), env);
      DatabaseUrl url = settings.databaseUrl();
      if (url == null) {
        System.err.println(
            "plank slot drop: needs DATABASE_URL or --database-url (the embedded database is"
                + " dropped with its data directory)");
        return 2;
      }
      String slot = settings.capture().slot();
      try (Connection conn = Jdbc.connect(url, settings.connections().poolMode(), "plank-slot")) {
        Slots.Status status = Slots.status(conn, slot);
        if (status.active()) {
          System.err.println(
              "plank slot drop: the replication slot "
                  + slot
                  + " is in use by a running Plank (server process "
                  + status.activePid()
                  + "); stop the WAL-mode nodes first");
          return 1;
        }
        if (status.exists()) Slots.drop(conn, slot);
        boolean publication;
        try (PreparedStatement st =
            conn.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
          st.setString(1, slot);
          try (ResultSet rs = st.executeQuery()) {
            publication = rs.next();
          }
        }
        if (publication) {
          try (Statement st = conn.createStatement()) {
            // The name is validated by CaptureSettings ([a-z0-9_]) and quoted.
            st.execute("DROP PUBLICATION " + TableRef.quote(slot));
          }
        }
        if (!status.exists() && !publication) {
          System.out.println(
              "plank slot drop: no replication slot " + slot + " in " + url.redacted());
        } else {
          System.out.println(
              "plank slot drop: dropped "
                  + (status.exists() ? "the replication slot " + slot : "")
                  + (status.exists() && publication ? " and " : "")
                  + (publication ? "the publication " + slot : "")
                  + " ("
                  + url.redacted()
                  + ")");
        }
        return 0;
      } catch (SQLException e) {
        System.err.println("plank slot drop: " + e.getMessage());
        return 1;
      }
    }
  }

  /** Picocli builds the subcommand; the environment reaches it through its parent. */
  static void env(CommandLine slot, Map<String, String> env) {
    for (CommandLine sub : slot.getSubcommands().values()) {
      if (sub.getCommand() instanceof Main.EnvAware aware) aware.env(env);
    }
  }
}
