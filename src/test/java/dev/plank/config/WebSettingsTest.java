package dev.plank.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebSettingsTest {
  @TempDir Path dir;

  @Test
  void defaults() {
    WebSettings web = Settings.of(Map.of()).web();
    assertThat(web.allowedOrigins())
        .containsExactly("http://localhost:5173", "http://127.0.0.1:5173");
    assertThat(web.allowedHosts()).isNull();
    assertThat(web.tls()).isFalse();
    assertThat(web.trustedProxies()).isEmpty();
    assertThat(web.managementPort()).isZero();
    assertThat(web.managementHost()).isEqualTo("127.0.0.1");
    assertThat(web.metricsToken()).isNull();
  }

  @Test
  void listsAreParsedAndNormalised() throws Exception {
    WebSettings web =
        Settings.of(
                Map.of(
                    "PLANK_ALLOWED_ORIGINS", "HTTPS://App.Example.com:443, http://x.example:8080",
                    "PLANK_ALLOWED_HOSTS", "Plank.Example.com, [::1]",
                    "PLANK_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7, fd00::/8"))
            .web();
    assertThat(web.allowedOrigins())
        .containsExactly("https://app.example.com", "http://x.example:8080");
    assertThat(web.allowedHosts()).containsExactly("plank.example.com", "[::1]");
    assertThat(web.trustedProxies().get(0).contains(InetAddress.getByName("10.200.0.1"))).isTrue();
    assertThat(web.trustedProxies().get(0).contains(InetAddress.getByName("11.0.0.1"))).isFalse();
    assertThat(web.trustedProxies().get(1).contains(InetAddress.getByName("192.0.2.7"))).isTrue();
    assertThat(web.trustedProxies().get(2).contains(InetAddress.getByName("fd12::1"))).isTrue();
    assertThat(Settings.of(Map.of("PLANK_ALLOWED_ORIGINS", "*")).web().allowedOrigins())
        .isEqualTo(List.of("*"));
    assertThat(Settings.of(Map.of("PLANK_ALLOWED_ORIGINS", "")).web().allowedOrigins()).isEmpty();
  }

  @Test
  void badValuesAreOneLineNamingTheVariable() throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_TLS_CERT", cert.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "PLANK_TLS_CERT and PLANK_TLS_KEY go together: set both (PEM files) or neither");
    Path missing = dir.resolve("nope.pem");
    assertThatThrownBy(
            () ->
                Settings.of(
                    Map.of("PLANK_TLS_CERT", cert.toString(), "PLANK_TLS_KEY", missing.toString())))
        .hasMessage("PLANK_TLS_KEY cannot be read: " + missing + " (expected a PEM file)");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_ALLOWED_ORIGINS", "app.example.com")))
        .hasMessageStartingWith("PLANK_ALLOWED_ORIGINS has an invalid origin 'app.example.com'");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_ALLOWED_ORIGINS", "https://a.example/x")))
        .hasMessageStartingWith("PLANK_ALLOWED_ORIGINS has an invalid origin");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_ALLOWED_HOSTS", "a.example:80")))
        .hasMessageStartingWith("PLANK_ALLOWED_HOSTS has an invalid host name 'a.example:80'");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_TRUSTED_PROXIES", "proxy.internal")))
        .hasMessageStartingWith("PLANK_TRUSTED_PROXIES has an invalid address 'proxy.internal'");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_TRUSTED_PROXIES", "10.0.0.0/33")))
        .hasMessageStartingWith("PLANK_TRUSTED_PROXIES has an invalid address");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_TRUSTED_PROXIES", "300.1.1.1")))
        .hasMessageStartingWith("PLANK_TRUSTED_PROXIES has an invalid address");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_METRICS_TOKEN", "short-secret")))
        .hasMessage("PLANK_METRICS_TOKEN must be at least 16 characters long")
        .message()
        .doesNotContain("short-secret");
    assertThatThrownBy(() -> Settings.of(Map.of("PLANK_MANAGEMENT_PORT", "70000")))
        .hasMessageStartingWith("PLANK_MANAGEMENT_PORT must be a whole number");
  }

  @Test
  void theMetricsTokenIsNeverPrinted() {
    String token = "a-long-metrics-token-123456";
    Settings settings = Settings.of(Map.of("PLANK_METRICS_TOKEN", token));
    assertThat(settings.web().metricsToken()).isEqualTo(token);
    assertThat(settings.toString()).doesNotContain(token).contains("metricsToken=(set)");
  }

  @Test
  void everyNameIsKnown() {
    assertThat(Settings.ALL_NAMES).containsAll(WebSettings.NAMES);
  }
}
