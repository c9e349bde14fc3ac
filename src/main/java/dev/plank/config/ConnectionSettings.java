package dev.plank.config;

import java.util.List;
import java.util.Locale;

/**
 * How a node reaches its database when deployed behind a connection pooler.
 *
 * @param listenDatabaseUrl a direct connection (or a session-mode pooler) for the LISTEN
 *     connection, or {@code null} to listen through {@code DATABASE_URL}
 * @param poolMode how {@code DATABASE_URL} pools connections: {@link PoolMode#TRANSACTION} turns
 *     off what needs a session between transactions (named prepared statements, pipelining)
 */
public record ConnectionSettings(DatabaseUrl listenDatabaseUrl, PoolMode poolMode) {
  public static final String LISTEN_DATABASE_URL = "PLANK_LISTEN_DATABASE_URL";
  public static final String POOL_MODE = "PLANK_POOL_MODE";

  /** Every variable this record reads. */
  public static final List<String> NAMES = List.of(LISTEN_DATABASE_URL, POOL_MODE);

  /** How the server behind {@code DATABASE_URL} hands out sessions. */
  public enum PoolMode {
    /** A direct connection, or a pooler that keeps one server session per client connection. */
    SESSION,
    /** A pooler (PgBouncer's pool_mode=transaction) that may switch sessions between them. */
    TRANSACTION
  }

  static ConnectionSettings load(Source s) {
    return new ConnectionSettings(
        s.get(
            LISTEN_DATABASE_URL,
            null,
            v -> v.isBlank() ? null : DatabaseUrl.parse(LISTEN_DATABASE_URL, v)),
        s.get(POOL_MODE, "session", ConnectionSettings::poolMode));
  }

  private static PoolMode poolMode(String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "session" -> PoolMode.SESSION;
      case "transaction" -> PoolMode.TRANSACTION;
      default ->
          throw new ConfigException(
              POOL_MODE + " must be session or transaction (got '" + value + "')");
    };
  }
}
