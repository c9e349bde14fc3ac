package dev.plank.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Running Plank as one node of several: its name in logs and metrics, the log format, graceful
 * drain, and how often the listener's lag is measured.
 *
 * @param nodeId this node's name in every log line and as the {@code node} label of every metric
 * @param logFormat {@code text} (one line per event) or {@code json} (one JSON object per line)
 * @param drainDelay after SIGTERM, how long {@code /ready} fails before WebSockets are closed, so
 *     that a load balancer stops sending new clients first
 * @param drainTimeout after that delay, how long clients get to leave before the node exits
 * @param lagInterval how often the listener's lag behind the change log is measured
 */
public record DeploySettings(
    String nodeId,
    LogFormat logFormat,
    Duration drainDelay,
    Duration drainTimeout,
    Duration lagInterval) {

  public static final String NODE_ID = "PLANK_NODE_ID";
  public static final String LOG_FORMAT = "PLANK_LOG_FORMAT";
  public static final String DRAIN_DELAY = "PLANK_DRAIN_DELAY";
  public static final String DRAIN_TIMEOUT = "PLANK_DRAIN_TIMEOUT";
  public static final String LAG_INTERVAL = "PLANK_LAG_INTERVAL";

  /** Every variable this record reads. */
  public static final List<String> NAMES =
      List.of(NODE_ID, LOG_FORMAT, DRAIN_DELAY, DRAIN_TIMEOUT, LAG_INTERVAL);

  private static final String NODE_ID_FORM = "[A-Za-z0-9._-]{1,64}";

  /** How log lines are written. */
  public enum LogFormat {
    TEXT,
    JSON
  }

  static DeploySettings load(Source s) {
    String nodeId = s.get(NODE_ID, null, DeploySettings::nodeId);
    if (nodeId == null) {
      nodeId =
          defaultNodeId(s.get("HOSTNAME", null, v -> v), s.integer(Settings.PORT, 8000, 0, 65535));
    }
    return new DeploySettings(
        nodeId,
        s.get(LOG_FORMAT, "text", DeploySettings::logFormat),
        s.duration(DRAIN_DELAY, "0s", Duration.ZERO),
        s.duration(DRAIN_TIMEOUT, "10s", Duration.ofMillis(100)),
        s.duration(LAG_INTERVAL, "5s", Duration.ofMillis(100)));
  }

  private static String nodeId(String value) {
    String id = value.strip();
    if (!id.matches(NODE_ID_FORM)) {
      throw new ConfigException(
          NODE_ID + " must be 1 to 64 letters, digits, '.', '_' or '-' (got '" + value + "')");
    }
    return id;
  }

  private static LogFormat logFormat(String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "text" -> LogFormat.TEXT;
      case "json" -> LogFormat.JSON;
      default ->
          throw new ConfigException(LOG_FORMAT + " must be text or json (got '" + value + "')");
    };
  }

  /**
   * The host's name and the port: stable across restarts (so a node's metrics stay one series) and
   * distinct for nodes on one host. On port 0 (any free port), a random suffix instead.
   */
  static String defaultNodeId(String hostnameVariable, int port) {
    String host = hostnameVariable;
    if (host == null || host.isBlank()) host = kernelHostname();
    host = host.strip().replaceAll("[^A-Za-z0-9._-]", "-");
    if (host.isEmpty()) host = "plank";
    if (host.length() > 50) host = host.substring(0, 50);
    String suffix =
        port != 0
            ? Integer.toString(port)
            : Integer.toHexString(0x10000 | ThreadLocalRandom.current().nextInt(0x10000))
                .substring(1);
    return host + "-" + suffix;
  }

  /** Linux's own name for the host; read from a file, so no DNS look-up can stall start-up. */
  private static String kernelHostname() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return "plank";
    }
  }
}
