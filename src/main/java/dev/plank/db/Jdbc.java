package dev.plank.db;

import dev.plank.config.ConnectionSettings.PoolMode;
import dev.plank.config.DatabaseUrl;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * JDBC connections for the blocking tools (schema migrations, {@code plank uninstall}); the server
 * itself talks to PostgreSQL through Vert.x.
 */
public final class Jdbc {
  private Jdbc() {}

  /**
   * The URL without credentials, which go in the properties. Behind a transaction-mode pooler a
   * named server-side statement may be gone by the next transaction: the driver then only uses
   * unnamed ones.
   */
  static String url(DatabaseUrl db, PoolMode mode, String applicationName) {
    StringBuilder url =
        new StringBuilder("jdbc:postgresql://")
            .append(db.host())
            .append(':')
            .append(db.port())
            .append('/')
            .append(encode(db.database()))
            .append("?ApplicationName=")
            .append(encode(applicationName));
    String sslmode = db.params().get("sslmode");
    if (sslmode != null) url.append("&sslmode=").append(encode(sslmode));
    if (mode == PoolMode.TRANSACTION) url.append("&prepareThreshold=0");
    return url.toString();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  public static Connection connect(DatabaseUrl db, PoolMode mode, String applicationName)
      throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", db.user());
    if (db.password() != null) props.setProperty("password", db.password());
    return DriverManager.getConnection(url(db, mode, applicationName), props);
  }
}
