package dev.plank.db;

import dev.plank.config.DatabaseUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A PostgreSQL server started by Plank itself for development, when no {@code DATABASE_URL} is set.
 * Its data lives in a folder under the working directory, so it survives restarts.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  public static EmbeddedDatabase start(Path dataDir) {
    try {
      Path pgData = dataDir.resolve("pgdata").toAbsolutePath();
      Files.createDirectories(pgData);
      return new EmbeddedDatabase(
          EmbeddedPostgres.builder()
              .setDataDirectory(pgData)
              .setCleanDataDirectory(false)
              .setOverrideWorkingDirectory(dataDir.resolve("pgbin").toAbsolutePath().toFile())
              .start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + dataDir, e);
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
