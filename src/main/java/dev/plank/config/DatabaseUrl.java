package dev.plank.config;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A libpq-style URL ({@code postgresql://user:pass@host:5432/db?sslmode=require}). Parsed here so
 * that a malformed URL stops start-up with a line naming {@code DATABASE_URL}, and so that logs
 * only ever see {@link #redacted()}.
 */
public record DatabaseUrl(
    String host,
    int port,
    String database,
    String user,
    String password,
    Map<String, String> params) {

  public static DatabaseUrl parse(String setting, String raw) {
    URI uri;
    try {
      uri = new URI(raw.trim());
    } catch (URISyntaxException e) {
      throw new ConfigException(setting + " is not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme();
    if (!"postgresql".equals(scheme) && !"postgres".equals(scheme)) {
      throw new ConfigException(
          setting
              + " must start with postgresql:// (got '"
              + (scheme == null ? "" : scheme)
              + "')");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw new ConfigException(setting + " has no host (expected postgresql://user@host:5432/db)");
    }
    int port = uri.getPort() == -1 ? 5432 : uri.getPort();
    if (port < 1 || port > 65535) {
      throw new ConfigException(setting + " has an invalid port " + port);
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceFirst("^/", "");
    String user = "postgres";
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
    }
    String database = path.isEmpty() ? user : decode(path);
    DatabaseUrl url = new DatabaseUrl(uri.getHost(), port, database, user, password, params(uri));
    try {
      url.connectOptions(); // checks sslmode now, so a typo stops start-up, not the first query
    } catch (ConfigException e) {
      throw new ConfigException(e.getMessage().replaceFirst("^DATABASE_URL", setting));
    }
    return url;
  }

  private static Map<String, String> params(URI uri) {
    Map<String, String> params = new LinkedHashMap<>();
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&", -1)) {
        if (pair.isEmpty()) continue;
        String[] kv = pair.split("=", 2);
        params.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
      }
    }
    return Map.copyOf(params);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  public PgConnectOptions connectOptions() {
    PgConnectOptions options =
        new PgConnectOptions()
            .setHost(host)
            .setPort(port)
            .setDatabase(database)
            .setUser(user)
            .setCachePreparedStatements(true)
            .setPipeliningLimit(256);
    if (password != null) options.setPassword(password);
    String sslmode = params.get("sslmode");
    if (sslmode != null) {
      try {
        SslMode mode = SslMode.of(sslmode);
        if (mode == null) throw new IllegalArgumentException(sslmode);
        options.setSslMode(mode);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("DATABASE_URL has an unknown sslmode '" + sslmode + "'");
      }
      if (options.getSslMode() == SslMode.REQUIRE || options.getSslMode() == SslMode.PREFER) {
        // libpq's "require" encrypts without verifying the server, and so do we.
        options.setSslOptions(new ClientSSLOptions().setTrustAll(true));
      }
    }
    return options;
  }

  /** The same URL for another database on the same server. */
  public DatabaseUrl withDatabase(String otherDatabase) {
    return new DatabaseUrl(host, port, otherDatabase, user, password, params);
  }

  /** The URL as it may appear in logs: the password is never printed. */
  public String redacted() {
    return "postgresql://"
        + user
        + (password == null ? "" : ":***")
        + "@"
        + host
        + ":"
        + port
        + "/"
        + database;
  }

  @Override
  public String toString() {
    return redacted();
  }
}
