package dev.plank.config;

import java.util.List;
import java.util.Locale;

/**
 * How changes are captured: by trigger and NOTIFY on the writers' commit path, or from the
 * write-ahead log through a logical replication slot read by one leader node.
 *
 * @param mode {@code trigger} (default) or {@code wal}
 * @param slot the replication slot's name, also the publication's (WAL mode)
 * @param replicaIdentityFull whether {@code init} sets {@code REPLICA IDENTITY FULL} on captured
 *     tables in WAL mode: without it an UPDATE carries no old row and a DELETE only the key
 * @param slotWarnBytes the retained WAL above which the leader warns in the log
 */
public record CaptureSettings(
    Mode mode, String slot, boolean replicaIdentityFull, long slotWarnBytes) {

  public static final String CAPTURE = "PLANK_CAPTURE";
  public static final String SLOT = "PLANK_SLOT";
  public static final String REPLICA_IDENTITY_FULL = "PLANK_REPLICA_IDENTITY_FULL";
  public static final String SLOT_WARN_MB = "PLANK_SLOT_WARN_MB";

  /** Every variable this record reads. */
  public static final List<String> NAMES =
      List.of(CAPTURE, SLOT, REPLICA_IDENTITY_FULL, SLOT_WARN_MB);

  /** Where changes come from. */
  public enum Mode {
    TRIGGER,
    WAL
  }

  public boolean wal() {
    return mode == Mode.WAL;
  }

  static CaptureSettings load(Source s) {
    return new CaptureSettings(
        s.get(CAPTURE, "trigger", CaptureSettings::mode),
        s.get(SLOT, "plank", CaptureSettings::slot),
        s.get(REPLICA_IDENTITY_FULL, "true", v -> Settings.bool(REPLICA_IDENTITY_FULL, v)),
        s.integer(SLOT_WARN_MB, 1024, 1, Integer.MAX_VALUE) * 1024L * 1024L);
  }

  private static Mode mode(String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "trigger" -> Mode.TRIGGER;
      case "wal" -> Mode.WAL;
      default ->
          throw new ConfigException(CAPTURE + " must be trigger or wal (got '" + value + "')");
    };
  }

  /** Slot names are PostgreSQL's own rule; the name is also used, quoted, as the publication's. */
  private static String slot(String value) {
    String slot = value.strip();
    if (!slot.matches("[a-z0-9_]{1,63}")) {
      throw new ConfigException(
          SLOT + " must be 1 to 63 lower-case letters, digits or '_' (got '" + value + "')");
    }
    return slot;
  }
}
