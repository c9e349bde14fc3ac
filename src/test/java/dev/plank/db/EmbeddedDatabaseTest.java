package dev.plank.db;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plank.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Without DATABASE_URL, a jar that cannot run its embedded PostgreSQL says so in one line. */
class EmbeddedDatabaseTest {
  @Test
  void aJarWithoutTheBinariesAsksForDatabaseUrl() {
    assertThatThrownBy(() -> EmbeddedDatabase.requireBinaries("Linux", "amd64", false))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "DATABASE_URL is not set, and this build of Plank has no embedded PostgreSQL: set"
                + " DATABASE_URL=postgresql://user:password@host:5432/database");
  }

  @Test
  void anotherMachineAsksForDatabaseUrlToo() {
    assertThatThrownBy(() -> EmbeddedDatabase.requireBinaries("Mac OS X", "aarch64", true))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "DATABASE_URL is not set, and this build of Plank has no embedded PostgreSQL for Mac OS"
                + " X/aarch64: set DATABASE_URL=");
  }

  @Test
  void linuxAmd64WithTheBinariesStarts() {
    assertThatCode(() -> EmbeddedDatabase.requireBinaries("Linux", "amd64", true))
        .doesNotThrowAnyException();
  }
}
