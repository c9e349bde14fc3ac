package dev.plank.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthSettingsTest {
  static final String SECRET = "a-secret-that-is-long-enough-0123456789";

  @Test
  void withoutAuthOnlyALoopbackAddressIsServed() {
    AuthSettings open = Settings.of(Map.of()).auth();
    assertThat(open.tokensRequired()).isFalse();
    assertThat(open.checkExposure("127.0.0.1")).contains("loopback");
    assertThat(open.checkExposure("::1")).contains("loopback");
    assertThat(open.checkExposure("localhost")).contains("loopback");
    assertThatThrownBy(() -> open.checkExposure("0.0.0.0"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "refusing to serve without authentication on 0.0.0.0, which is not a loopback address:"
                + " set PLANK_JWT_SECRET, PLANK_JWT_PUBLIC_KEY or PLANK_JWT_JWKS, or PLANK_AUTH=none"
                + " to serve without auth");
    assertThatThrownBy(() -> open.checkExposure("10.0.0.1")).isInstanceOf(ConfigException.class);
  }

  @Test
  void authNoneServesAnywhereWithAWarningAndAKeyRequiresTokens() {
    assertThat(Settings.of(Map.of("PLANK_AUTH", "none")).auth().checkExposure("0.0.0.0"))
        .startsWith("Authentication is off (PLANK_AUTH=none)");
    AuthSettings jwt = Settings.of(Map.of("PLANK_JWT_SECRET", SECRET)).auth();
    assertThat(jwt.tokensRequired()).isTrue();
    assertThat(jwt.checkExposure("0.0.0.0")).isNull();
  }

  @Test
  void badValuesAreOneLineWithoutTheSecret(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_JWT_SECRET", "short-secret")))
        .hasMessage("PLANK_JWT_SECRET must be at least 32 bytes long for HS256");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_AUTH", "maybe")))
        .hasMessage("PLANK_AUTH must be jwt or none (got 'maybe')");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_AUTH", "jwt")))
        .hasMessageStartingWith("PLANK_AUTH=jwt needs a key");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_AUTH", "none", "PLANK_JWT_SECRET", SECRET)))
        .hasMessageStartingWith("PLANK_AUTH=none turns tokens off");
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_JWT_PUBLIC_KEY", missing.toString())))
        .hasMessage("PLANK_JWT_PUBLIC_KEY: cannot read " + missing);
    Path junk = dir.resolve("junk.pem");
    Files.writeString(junk, "not a key");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_JWT_PUBLIC_KEY", junk.toString())))
        .hasMessageContaining("holds no PEM public key");
    assertThatThrownBy(
            () ->
                Settings.of(
                    Map.of("PLANK_JWT_SECRET", SECRET, "PLANK_JWT_JWKS", "https://x/jwks.json")))
        .hasMessage("set only one of PLANK_JWT_SECRET, PLANK_JWT_PUBLIC_KEY and PLANK_JWT_JWKS");
  }

  @Test
  void theRoleClaimIsTheSettingsThenThePolicysThenRole() {
    assertThat(Settings.of(Map.of()).auth().roleClaim(null)).isEqualTo("role");
    assertThat(Settings.of(Map.of()).auth().roleClaim("app_role")).isEqualTo("app_role");
    assertThat(Settings.of(Map.of("PLANK_ROLE_CLAIM", "r")).auth().roleClaim("app_role"))
        .isEqualTo("r");
  }
}
