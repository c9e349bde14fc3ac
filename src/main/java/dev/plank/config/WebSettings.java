package dev.plank.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How the HTTP server faces browsers, proxies and the network: origins, hosts, headers, TLS.
 *
 * @param allowedOrigins origins (besides the server's own) that may open WebSockets and call the
 *     REST API from a browser, normalised ({@code scheme://host[:port]}, default ports dropped);
 *     {@code ["*"]} allows every origin
 * @param allowedHosts host names a request's {@code Host} may carry (any port), lower case; null
 *     when unset (then: loopback names only when bound to loopback, else any); {@code ["*"]} any
 * @param tlsCert PEM certificate chain, or null for plain HTTP
 * @param tlsKey PEM private key, or null
 * @param trustedProxies peers whose {@code X-Forwarded-For}/{@code Forwarded} is believed
 * @param managementPort a second, internal port for /metrics, /health and /ready; 0 for none
 * @param managementHost the address the management port binds to
 * @param metricsToken a bearer token that /metrics then requires; null for none (never logged)
 */
public record WebSettings(
    List<String> allowedOrigins,
    List<String> allowedHosts,
    Path tlsCert,
    Path tlsKey,
    List<Cidr> trustedProxies,
    int managementPort,
    String managementHost,
    String metricsToken) {

  public static final String ALLOWED_ORIGINS = "PLANK_ALLOWED_ORIGINS";
  public static final String ALLOWED_HOSTS = "PLANK_ALLOWED_HOSTS";
  public static final String TLS_CERT = "PLANK_TLS_CERT";
  public static final String TLS_KEY = "PLANK_TLS_KEY";
  public static final String TRUSTED_PROXIES = "PLANK_TRUSTED_PROXIES";
  public static final String MANAGEMENT_PORT = "PLANK_MANAGEMENT_PORT";
  public static final String MANAGEMENT_HOST = "PLANK_MANAGEMENT_HOST";
  public static final String METRICS_TOKEN = "PLANK_METRICS_TOKEN";

  /** The local dev server's origins (frontend/scripts/dev.js), allowed unless a list is set. */
  public static final List<String> DEV_ORIGINS =
      List.of("http://localhost:5173", "http://127.0.0.1:5173");

  /** Every variable this record reads. */
  public static final List<String> NAMES =
      List.of(
          ALLOWED_ORIGINS,
          ALLOWED_HOSTS,
          TLS_CERT,
          TLS_KEY,
          TRUSTED_PROXIES,
          MANAGEMENT_PORT,
          MANAGEMENT_HOST,
          METRICS_TOKEN);

  private static final int MIN_TOKEN_LENGTH = 16;

  public WebSettings {
    allowedOrigins = List.copyOf(allowedOrigins);
    allowedHosts = allowedHosts == null ? null : List.copyOf(allowedHosts);
    trustedProxies = List.copyOf(trustedProxies);
  }

  static WebSettings load(Source s) {
    Path cert = s.get(TLS_CERT, null, v -> readable(TLS_CERT, v));
    Path key = s.get(TLS_KEY, null, v -> readable(TLS_KEY, v));
    if ((cert == null) != (key == null)) {
      throw new ConfigException(
          TLS_CERT + " and " + TLS_KEY + " go together: set both (PEM files) or neither");
    }
    List<String> origins = s.get(ALLOWED_ORIGINS, null, WebSettings::origins);
    return new WebSettings(
        origins == null ? DEV_ORIGINS : origins,
        s.get(ALLOWED_HOSTS, null, WebSettings::hosts),
        cert,
        key,
        s.get(TRUSTED_PROXIES, "", WebSettings::proxies),
        s.integer(MANAGEMENT_PORT, 0, 0, 65535),
        s.get(MANAGEMENT_HOST, "127.0.0.1", String::strip),
        s.get(METRICS_TOKEN, null, WebSettings::token));
  }

  /** Whether the main port speaks HTTPS/WSS. */
  public boolean tls() {
    return tlsCert != null;
  }

  /** Never prints the metrics token. */
  @Override
  public String toString() {
    return "WebSettings[allowedOrigins="
        + allowedOrigins
        + ", allowedHosts="
        + allowedHosts
        + ", tlsCert="
        + tlsCert
        + ", tlsKey="
        + tlsKey
        + ", trustedProxies="
        + trustedProxies
        + ", managementPort="
        + managementPort
        + ", managementHost="
        + managementHost
        + ", metricsToken="
        + (metricsToken == null ? "none" : "(set)")
        + "]";
  }

  /**
   * An origin as browsers send it: lower-case scheme and host, the port only when not the scheme's
   * default. Null when {@code text} is not an http(s) origin.
   */
  public static String normalizeOrigin(String text) {
    try {
      URI uri = new URI(text.strip());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) return null;
      if (uri.getHost() == null || uri.getRawUserInfo() != null) return null;
      if (uri.getRawPath() != null && !uri.getRawPath().isEmpty()) return null;
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) return null;
      int port = uri.getPort();
      boolean defaultPort =
          port == -1
              || (scheme.equals("http") && port == 80)
              || (scheme.equals("https") && port == 443);
      return scheme
          + "://"
          + uri.getHost().toLowerCase(Locale.ROOT)
          + (defaultPort ? "" : ":" + port);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static List<String> origins(String value) {
    List<String> origins = new ArrayList<>();
    for (String item : items(value)) {
      if (item.equals("*")) return List.of("*");
      String origin = normalizeOrigin(item);
      if (origin == null) {
        throw new ConfigException(
            ALLOWED_ORIGINS
                + " has an invalid origin '"
                + item
                + "' (expected scheme://host[:port], e.g. https://app.example.com, or *)");
      }
      origins.add(origin);
    }
    return origins;
  }

  private static List<String> hosts(String value) {
    List<String> hosts = new ArrayList<>();
    for (String item : items(value)) {
      if (item.equals("*")) return List.of("*");
      if (!item.matches("[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]")) {
        throw new ConfigException(
            ALLOWED_HOSTS
                + " has an invalid host name '"
                + item
                + "' (expected a name or address without port, e.g. plank.example.com, [::1], or *)");
      }
      hosts.add(item.toLowerCase(Locale.ROOT));
    }
    if (hosts.isEmpty()) throw new ConfigException(ALLOWED_HOSTS + " names no host");
    return hosts;
  }

  private static List<Cidr> proxies(String value) {
    List<Cidr> proxies = new ArrayList<>();
    for (String item : items(value)) {
      Cidr cidr = Cidr.parse(item);
      if (cidr == null) {
        throw new ConfigException(
            TRUSTED_PROXIES
                + " has an invalid address '"
                + item
                + "' (expected an IP address or a range such as 10.0.0.0/8)");
      }
      proxies.add(cidr);
    }
    return proxies;
  }

  private static String token(String value) {
    if (value.isBlank()) return null;
    if (value.strip().length() < MIN_TOKEN_LENGTH) {
      // The value is a secret: its length, not its text, goes in the message.
      throw new ConfigException(
          METRICS_TOKEN + " must be at least " + MIN_TOKEN_LENGTH + " characters long");
    }
    return value.strip();
  }

  private static Path readable(String name, String value) {
    if (value.isBlank()) return null;
    Path path = Path.of(value.strip());
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw new ConfigException(name + " cannot be read: " + path + " (expected a PEM file)");
    }
    return path;
  }

  private static List<String> items(String value) {
    return Arrays.stream(value.split(",")).map(String::strip).filter(v -> !v.isEmpty()).toList();
  }
}
