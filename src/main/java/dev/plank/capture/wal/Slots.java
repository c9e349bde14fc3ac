package dev.plank.capture.wal;

import dev.plank.db.SchemaInstaller;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Plank's replication slot as the catalog sees it, and what is done when its history breaks: a slot
 * invalidated by {@code max_slot_wal_keep_size}, dropped by {@code plank slot drop}, or given up by
 * a switch back to trigger mode has lost changes no one will ever decode. Stateless; JDBC, on the
 * caller's thread.
 */
public final class Slots {
  /**
   * One entry without rows per published table, as a TRUNCATE writes it: every node's hub turns it
   * into {@code resync} on that channel, live or in a replay, so every subscriber (on every node,
   * and every cursor from before) reloads instead of silently missing the lost changes.
   */
  private static final String RESYNC_MARKERS =
      """
      WITH m AS (
        INSERT INTO plank.changes (xid, snapshot_xmin, ts, schema_name, table_name, op, data, old)
        SELECT pg_current_xact_id(), pg_snapshot_xmin(pg_current_snapshot()), clock_timestamp(),
               p.schemaname, p.tablename, 'TRUNCATE', NULL, NULL
        FROM pg_publication_tables p WHERE p.pubname = ?
        ORDER BY p.schemaname, p.tablename
        RETURNING *
      )
      SELECT count(pg_notify('%s', plank.change_json(m))) FROM m
      """
          .formatted(SchemaInstaller.CHANNEL);

  /**
   * @param walStatus {@code pg_replication_slots.wal_status}: {@code lost} once invalidated
   * @param activePid the backend reading it, or 0
   */
  public record Status(boolean exists, String walStatus, int activePid) {
    static final Status MISSING = new Status(false, null, 0);

    public boolean lost() {
      return "lost".equals(walStatus);
    }

    public boolean active() {
      return activePid != 0;
    }
  }

  private Slots() {}

  public static Status status(Connection conn, String slot) throws SQLException {
    try (PreparedStatement st =
        conn.prepareStatement(
            "SELECT wal_status, coalesce(active_pid, 0) FROM pg_replication_slots WHERE"
                + " slot_name = ?")) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? new Status(true, rs.getString(1), rs.getInt(2)) : Status.MISSING;
      }
    }
  }

  /** Drops the slot; fails (SQLSTATE 55006) while a session reads it. */
  public static void drop(Connection conn, String slot) throws SQLException {
    try (PreparedStatement st = conn.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
      st.setString(1, slot);
      st.executeQuery().close();
    }
  }

  /** Whether the log records a position of this slot: it was read before. */
  static boolean hasHistory(Connection conn, String slot) throws SQLException {
    try (PreparedStatement st =
        conn.prepareStatement("SELECT 1 FROM plank.wal_state WHERE slot_name = ?")) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * In one transaction: a resync marker per published table, and the slot's recorded position
   * forgotten (a new slot's positions say nothing about the old one's).
   *
   * @return how many tables got a marker
   */
  public static int breakHistory(Connection conn, String slot) throws SQLException {
    boolean auto = conn.getAutoCommit();
    conn.setAutoCommit(false);
    try {
      int tables;
      try (PreparedStatement st = conn.prepareStatement(RESYNC_MARKERS)) {
        st.setString(1, slot);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          tables = rs.getInt(1);
        }
      }
      try (PreparedStatement st =
          conn.prepareStatement("DELETE FROM plank.wal_state WHERE slot_name = ?")) {
        st.setString(1, slot);
        st.executeUpdate();
      }
      conn.commit();
      return tables;
    } catch (SQLException | RuntimeException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(auto);
    }
  }
}
