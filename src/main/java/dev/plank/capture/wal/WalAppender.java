package dev.plank.capture.wal;

import dev.plank.db.SchemaInstaller;
import dev.plank.db.TableRef;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Appends decoded changes to {@code plank.changes} on the leader's own connection (the one that
 * holds the leader lock), together with the slot position they bring the log to, in one
 * transaction; then notifies each new entry exactly as the trigger does, so every node's listener,
 * gap replay, cursors and de-duplication work as in trigger mode. The row JSON is built by the
 * database, {@code to_jsonb} over a row of the table's type, so it is the trigger's by
 * construction.
 *
 * <p>Used by the leader's thread only.
 */
final class WalAppender {
  private static final String APPEND =
      """
      INSERT INTO plank.changes (xid, snapshot_xmin, ts, schema_name, table_name, op, data, old)
      SELECT pg_current_xact_id(), pg_snapshot_xmin(pg_current_snapshot()), i.ts, ?, ?, i.op,
             CASE WHEN i.data IS NOT NULL THEN to_jsonb(jsonb_populate_record(NULL::%1$s, i.data)) END,
             CASE WHEN i.old IS NOT NULL THEN to_jsonb(jsonb_populate_record(NULL::%1$s, i.old)) END
      FROM unnest(?::text[], ?::timestamptz[], ?::text[]::jsonb[], ?::text[]::jsonb[])
           WITH ORDINALITY AS i(op, ts, data, old, n)
      ORDER BY i.n
      """;
  // In seq order (the subquery's order feeds the aggregate), as the trigger notifies them.
  private static final String NOTIFY =
      "SELECT count(pg_notify('"
          + SchemaInstaller.CHANNEL
          + "', CASE WHEN octet_length(s.j) > 7900 THEN json_build_object('seq', s.seq, 'ref',"
          + " true)::text ELSE s.j END)) FROM (SELECT c.seq, plank.change_json(c) AS j FROM"
          + " plank.changes c WHERE c.xid = pg_current_xact_id() ORDER BY c.seq) s";
  private static final String SAVE =
      """
      INSERT INTO plank.wal_state (slot_name, commit_lsn, changes_done, end_lsn)
      VALUES (?, ?::pg_lsn, ?, ?::pg_lsn)
      ON CONFLICT (slot_name) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn,
        changes_done = EXCLUDED.changes_done, end_lsn = EXCLUDED.end_lsn
      """;
  // A batch of one table's changes, the notifications and the slot position in one statement, so
  // one round trip (and its commit) instead of five: each round trip adds to every change's
  // commit-to-client latency. In autocommit it is one transaction, as append's are.
  private static final String APPEND_NOTIFY_SAVE =
      "WITH ins AS ("
          + APPEND
          + " RETURNING *), saved AS ("
          + SAVE
          + ") SELECT count(pg_notify('"
          + SchemaInstaller.CHANNEL
          + "', CASE WHEN octet_length(s.j) > 7900 THEN json_build_object('seq', s.seq, 'ref',"
          + " true)::text ELSE s.j END)) FROM (SELECT ins.seq,"
          + " plank.change_json(ROW(ins.*)::plank.changes) AS j FROM ins ORDER BY ins.seq) s";
  private static final String LOAD =
      "SELECT commit_lsn::text, changes_done, end_lsn::text FROM plank.wal_state WHERE slot_name = ?";

  /** How far the log has the slot's transactions (see plank.wal_state). */
  record Applied(long commitLsn, long changesDone, long endLsn) {
    static final Applied NONE = new Applied(0, 0, 0);

    boolean complete() {
      return endLsn != 0;
    }
  }

  private final Connection conn;
  private final String slot;
  private final Map<Integer, Boolean> jsonTypes = new HashMap<>();

  WalAppender(Connection conn, String slot) {
    this.conn = conn;
    this.slot = slot;
  }

  Applied load() throws SQLException {
    try (PreparedStatement st = conn.prepareStatement(LOAD)) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) return Applied.NONE;
        String end = rs.getString(3);
        return new Applied(lsn(rs.getString(1)), rs.getLong(2), end == null ? 0 : lsn(end));
      }
    }
  }

  /** Whether a column type is json or jsonb, or a domain over one: such values go in as JSON. */
  boolean isJson(int typeOid) throws SQLException {
    Boolean known = jsonTypes.get(typeOid);
    if (known != null) return known;
    int type = typeOid;
    // Domains of domains: follow typbasetype down to the base type.
    for (int depth = 0; depth < 16; depth++) {
      try (PreparedStatement st =
          conn.prepareStatement("SELECT typtype, typbasetype::int FROM pg_type WHERE oid = ?")) {
        st.setInt(1, type);
        try (ResultSet rs = st.executeQuery()) {
          if (!rs.next() || !"d".equals(rs.getString(1))) break;
          type = rs.getInt(2);
        }
      }
    }
    boolean json = type == 114 || type == 3802;
    jsonTypes.put(typeOid, json);
    return json;
  }

  /** Appends {@code changes} (in commit order) and records {@code applied}, in one transaction. */
  void append(List<WalChange> changes, Applied applied) throws SQLException {
    if (!changes.isEmpty() && oneRelation(changes)) {
      appendInOneStatement(changes, applied);
      return;
    }
    conn.setAutoCommit(false);
    try {
      int from = 0;
      while (from < changes.size()) {
        PgOutput.Relation relation = changes.get(from).relation();
        int to = from + 1;
        while (to < changes.size() && changes.get(to).relation().id() == relation.id()) to++;
        insert(relation, changes.subList(from, to));
        from = to;
      }
      if (!changes.isEmpty()) {
        try (PreparedStatement st = conn.prepareStatement(NOTIFY)) {
          st.executeQuery().close();
        }
      }
      try (PreparedStatement st = conn.prepareStatement(SAVE)) {
        setApplied(st, 1, applied);
        st.executeUpdate();
      }
      conn.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        conn.rollback();
      } catch (SQLException ignored) {
        // the connection is gone; the caller starts over
      }
      throw e;
    } finally {
      conn.setAutoCommit(true);
    }
  }

  private static boolean oneRelation(List<WalChange> changes) {
    int id = changes.get(0).relation().id();
    for (WalChange c : changes) {
      if (c.relation().id() != id) return false;
    }
    return true;
  }

  private void appendInOneStatement(List<WalChange> changes, Applied applied) throws SQLException {
    PgOutput.Relation relation = changes.get(0).relation();
    TableRef table = new TableRef(relation.schema(), relation.table());
    // The table name comes from the publication (configured tables only) and is quoted.
    try (PreparedStatement st =
        conn.prepareStatement(APPEND_NOTIFY_SAVE.formatted(table.quoted()))) {
      setChanges(st, relation, changes);
      setApplied(st, 7, applied);
      st.executeQuery().close();
    }
  }

  private void setApplied(PreparedStatement st, int from, Applied applied) throws SQLException {
    st.setString(from, slot);
    st.setString(from + 1, LogSequenceNumber.valueOf(applied.commitLsn()).asString());
    st.setLong(from + 2, applied.changesDone());
    st.setString(
        from + 3,
        applied.complete() ? LogSequenceNumber.valueOf(applied.endLsn()).asString() : null);
  }

  private void insert(PgOutput.Relation relation, List<WalChange> run) throws SQLException {
    TableRef table = new TableRef(relation.schema(), relation.table());
    // The table name comes from the publication (configured tables only) and is quoted.
    try (PreparedStatement st = conn.prepareStatement(APPEND.formatted(table.quoted()))) {
      setChanges(st, relation, run);
      st.executeUpdate();
    }
  }

  private void setChanges(PreparedStatement st, PgOutput.Relation relation, List<WalChange> run)
      throws SQLException {
    int n = run.size();
    String[] ops = new String[n];
    String[] ts = new String[n];
    String[] data = new String[n];
    String[] old = new String[n];
    for (int i = 0; i < n; i++) {
      WalChange c = run.get(i);
      ops[i] = c.op();
      ts[i] = c.ts().toString();
      data[i] = c.data();
      old[i] = c.old();
    }
    st.setString(1, relation.schema());
    st.setString(2, relation.table());
    st.setArray(3, array(ops));
    st.setArray(4, array(ts));
    st.setArray(5, array(data));
    st.setArray(6, array(old));
  }

  private Array array(String[] values) throws SQLException {
    return conn.createArrayOf("text", values);
  }

  /** Column indexes of a relation whose values are JSON. */
  Set<Integer> jsonColumns(PgOutput.Relation relation) throws SQLException {
    Set<Integer> json = new HashSet<>();
    List<PgOutput.Column> columns = new ArrayList<>(relation.columns());
    for (int i = 0; i < columns.size(); i++) {
      if (isJson(columns.get(i).typeOid())) json.add(i);
    }
    return json;
  }

  static long lsn(String text) {
    return LogSequenceNumber.valueOf(text).asLong();
  }
}
