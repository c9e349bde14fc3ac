package dev.plank.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void defaultsMatchTheDocumentation() {
    Settings s = Settings.load(Map.of(), Map.of(), Map.of());
    assertThat(s.databaseUrl()).isNull();
    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.port()).isEqualTo(8000);
    assertThat(s.tables()).containsExactly("items");
    assertThat(s.initOnStart()).isTrue();
    assertThat(s.demo()).isFalse();
    assertThat(s.maxFrameBytes()).isEqualTo(65536);
    assertThat(s.maxQueueBytes()).isEqualTo(4 * 1024 * 1024);
    assertThat(s.pingInterval()).isEqualTo(java.time.Duration.ofSeconds(30));
    assertThat(s.logRetention()).isEqualTo(java.time.Duration.ofHours(24));
    assertThat(s.logMaxRows()).isEqualTo(10_000_000);
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsDotEnv() {
    Settings s =
        Settings.load(
            Map.of("PLANK_PORT", "9001"),
            Map.of("PLANK_PORT", "9002", "PLANK_HOST", "0.0.0.0"),
            Map.of("PLANK_PORT", "9003", "PLANK_HOST", "10.0.0.1", "PLANK_TABLES", "a, s.b"));
    assertThat(s.port()).isEqualTo(9001);
    assertThat(s.host()).isEqualTo("0.0.0.0");
    assertThat(s.tables()).isEqualTo(List.of("a", "s.b"));
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_PORT", "99999")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("PLANK_PORT must be a whole number from 0 to 65535 (got '99999')");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_INIT", "maybe")))
        .hasMessage("PLANK_INIT must be true or false (got 'maybe')");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_LOG_RETENTION", "1 day")))
        .hasMessage(
            "PLANK_LOG_RETENTION must be a duration such as 500ms, 30s, 15m, 24h or 7d, at least 1s"
                + " (got '1 day')");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_PING_INTERVAL", "10ms")))
        .hasMessageStartingWith("PLANK_PING_INTERVAL must be a duration");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_TABLES", "a.b.c")))
        .hasMessageStartingWith("PLANK_TABLES has an invalid table name 'a.b.c'");
    assertThatThrownBy(() -> Settings.of(Map.of("DATABASE_URL", "postgresql://")))
        .hasMessageStartingWith("DATABASE_URL");
    assertThatThrownBy(() -> Settings.of(Map.of("DATABASE_URL", "postgresql://h/db?sslmode=bogus")))
        .hasMessage("DATABASE_URL has an unknown sslmode 'bogus'");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_POOL_MODE", "statement")))
        .hasMessage("PLANK_POOL_MODE must be session or transaction (got 'statement')");
    assertThatThrownBy(
            () -> Settings.of(Map.of("PLANK_LISTEN_DATABASE_URL", "postgresql://h/db?sslmode=x")))
        .hasMessage("PLANK_LISTEN_DATABASE_URL has an unknown sslmode 'x'");
  }

  @Test
  void deploymentSettings() {
    Settings defaults = Settings.of(Map.of());
    assertThat(defaults.connections().listenDatabaseUrl()).isNull();
    assertThat(defaults.connections().poolMode()).isEqualTo(ConnectionSettings.PoolMode.SESSION);
    Settings pooled =
        Settings.of(
            Map.of(
                "PLANK_LISTEN_DATABASE_URL",
                "postgresql://app@db:5432/app",
                "PLANK_POOL_MODE",
                "Transaction"));
    assertThat(pooled.connections().listenDatabaseUrl().host()).isEqualTo("db");
    assertThat(pooled.connections().poolMode()).isEqualTo(ConnectionSettings.PoolMode.TRANSACTION);
    assertThat(Settings.ALL_NAMES).contains("PLANK_LISTEN_DATABASE_URL", "PLANK_POOL_MODE");
  }

  @Test
  void databaseUrlIsParsedLikeLibpqAndNeverPrintsThePassword() {
    DatabaseUrl url =
        DatabaseUrl.parse(
            "DATABASE_URL", "postgresql://app:s%40cret@db.example:6543/shop?sslmode=require");
    assertThat(url.host()).isEqualTo("db.example");
    assertThat(url.port()).isEqualTo(6543);
    assertThat(url.user()).isEqualTo("app");
    assertThat(url.password()).isEqualTo("s@cret");
    assertThat(url.database()).isEqualTo("shop");
    assertThat(url.toString())
        .isEqualTo("postgresql://app:***@db.example:6543/shop")
        .doesNotContain("cret");
    assertThat(url.connectOptions().getSslMode().name()).isEqualTo("REQUIRE");
  }
}
