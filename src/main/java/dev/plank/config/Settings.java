package dev.plank.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every setting of a Plank node. Each comes from, in order: a command-line flag, the environment, a
 * {@code .env} file, the built-in default. {@link #load} turns a bad value into one {@link
 * ConfigException} line that names the variable.
 *
 * @param databaseUrl the database, or {@code null} to start an embedded PostgreSQL
 * @param demo create the demo table {@code public.items} when installing (the embedded database
 *     always has it)
 */
public record Settings(
    DatabaseUrl databaseUrl,
    String host,
    int port,
    List<String> tables,
    boolean initOnStart,
    Path dataDir,
    int poolSize,
    int maxFrameBytes,
    int maxSubscriptions,
    int maxQueueBytes,
    Duration pingInterval,
    Duration logRetention,
    long logMaxRows,
    Duration pruneInterval,
    boolean demo,
    int maxChangeBytes,
    AuthSettings auth,
    LimitSettings limits,
    WebSettings web,
    DeploySettings deploy,
    ConnectionSettings connections,
    CaptureSettings capture,
    PubSubSettings pubsub) {

  public static final String DATABASE_URL = "DATABASE_URL";
  public static final String HOST = "PLANK_HOST";
  public static final String PORT = "PLANK_PORT";
  public static final String TABLES = "PLANK_TABLES";
  public static final String INIT = "PLANK_INIT";
  public static final String DATA_DIR = "PLANK_DATA_DIR";
  public static final String POOL_SIZE = "PLANK_POOL_SIZE";
  public static final String MAX_FRAME_BYTES = "PLANK_MAX_FRAME_BYTES";
  public static final String MAX_SUBSCRIPTIONS = "PLANK_MAX_SUBSCRIPTIONS";
  public static final String MAX_QUEUE_BYTES = "PLANK_MAX_QUEUE_BYTES";
  public static final String PING_INTERVAL = "PLANK_PING_INTERVAL";
  public static final String LOG_RETENTION = "PLANK_LOG_RETENTION";
  public static final String LOG_MAX_ROWS = "PLANK_LOG_MAX_ROWS";
  public static final String PRUNE_INTERVAL = "PLANK_PRUNE_INTERVAL";
  public static final String DEMO = "PLANK_DEMO";
  public static final String MAX_CHANGE_BYTES = "PLANK_MAX_CHANGE_BYTES";

  /** Every variable above. */
  public static final List<String> NAMES =
      List.of(
          DATABASE_URL,
          HOST,
          PORT,
          TABLES,
          INIT,
          DATA_DIR,
          POOL_SIZE,
          MAX_FRAME_BYTES,
          MAX_SUBSCRIPTIONS,
          MAX_QUEUE_BYTES,
          PING_INTERVAL,
          LOG_RETENTION,
          LOG_MAX_ROWS,
          PRUNE_INTERVAL,
          DEMO,
          MAX_CHANGE_BYTES);

  /** Every variable Plank reads: the ones above and those of the per-area settings. */
  public static final List<String> ALL_NAMES = allNames();

  /**
   * Merges the sources, highest precedence first: flags, environment, {@code .env}, defaults.
   *
   * @param flags values given on the command line, keyed by the variable names above
   * @param env the process environment
   * @param dotEnv values read from {@code .env}
   */
  public static Settings load(
      Map<String, String> flags, Map<String, String> env, Map<String, String> dotEnv) {
    Map<String, String> merged = new HashMap<>(dotEnv);
    merged.putAll(env);
    merged.putAll(flags);
    Source s = new Source(merged);
    return new Settings(
        s.get(DATABASE_URL, null, v -> v.isBlank() ? null : DatabaseUrl.parse(DATABASE_URL, v)),
        s.get(HOST, "127.0.0.1", v -> v),
        s.integer(PORT, 8000, 0, 65535),
        s.get(TABLES, "items", Settings::tableList),
        s.get(INIT, "true", v -> bool(INIT, v)),
        s.get(DATA_DIR, ".plank", Path::of),
        s.integer(POOL_SIZE, 8, 1, 256),
        s.integer(MAX_FRAME_BYTES, 65536, 1024, 16 * 1024 * 1024),
        s.integer(MAX_SUBSCRIPTIONS, 100, 1, 100_000),
        s.integer(MAX_QUEUE_BYTES, 4 * 1024 * 1024, 16 * 1024, Integer.MAX_VALUE),
        s.duration(PING_INTERVAL, "30s", Duration.ofMillis(100)),
        s.duration(LOG_RETENTION, "24h", Duration.ofSeconds(1)),
        s.integer(LOG_MAX_ROWS, 10_000_000, 1, Integer.MAX_VALUE),
        s.duration(PRUNE_INTERVAL, "60s", Duration.ofMillis(100)),
        s.get(DEMO, "false", v -> bool(DEMO, v)),
        // Above NOTIFY's 8000 bytes, so that a change that fits a notification always fits.
        s.integer(MAX_CHANGE_BYTES, 64 * 1024 * 1024, 16 * 1024, Integer.MAX_VALUE),
        AuthSettings.load(s),
        LimitSettings.load(s),
        WebSettings.load(s),
        DeploySettings.load(s),
        ConnectionSettings.load(s),
        CaptureSettings.load(s),
        PubSubSettings.load(s));
  }

  /** Settings for tests and embedding: defaults, with the given overrides. */
  public static Settings of(Map<String, String> values) {
    return load(values, Map.of(), Map.of());
  }

  public String displayDatabase() {
    return databaseUrl == null ? "embedded PostgreSQL" : databaseUrl.redacted();
  }

  private static List<String> allNames() {
    List<String> names = new ArrayList<>(NAMES);
    names.addAll(AuthSettings.NAMES);
    names.addAll(LimitSettings.NAMES);
    names.addAll(WebSettings.NAMES);
    names.addAll(DeploySettings.NAMES);
    names.addAll(ConnectionSettings.NAMES);
    names.addAll(CaptureSettings.NAMES);
    names.addAll(PubSubSettings.NAMES);
    return List.copyOf(names);
  }

  private static List<String> tableList(String value) {
    List<String> tables =
        Arrays.stream(value.split(",")).map(String::strip).filter(t -> !t.isEmpty()).toList();
    if (tables.isEmpty()) throw new ConfigException(TABLES + " names no table");
    for (String table : tables) {
      if (!table.matches("[^.\\s\"]+(\\.[^.\\s\"]+)?")) {
        throw new ConfigException(
            TABLES + " has an invalid table name '" + table + "' (expected table or schema.table)");
      }
    }
    return tables;
  }

  static boolean bool(String name, String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new ConfigException(name + " must be true or false (got '" + value + "')");
    };
  }
}
