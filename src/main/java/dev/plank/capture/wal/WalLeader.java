package dev.plank.capture.wal;

import dev.plank.config.CaptureSettings;
import dev.plank.config.DatabaseUrl;
import dev.plank.metrics.PlankMetrics;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WAL capture's leader election and reading loop, on a thread of its own (PgJDBC's replication API
 * blocks). Every node runs one: it waits for the leader lock (a session advisory lock, released by
 * PostgreSQL when the leader's session ends, however it ends), then reads the slot and appends each
 * committed transaction's changes to the log with the position they reach ({@link WalAppender}),
 * and only after that commit confirms the position to PostgreSQL. A restart resumes at the slot's
 * confirmed position and skips what the log already has, so nothing is lost or repeated.
 *
 * <p>All state is owned by the leader's thread; {@link #close} may be called from any thread.
 */
public final class WalLeader implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(WalLeader.class);
  private static final long LEADER_LOCK = 0x706c616e6b02L; // "plank" + 2
  private static final int BATCH = 1000; // changes per append transaction
  // And characters of row JSON per append transaction: rows of large values fill memory (and the
  // append statement's arrays) long before a thousand of them are read.
  private static final long BATCH_CHARS = 4L << 20;
  // Under a steady stream the reader is never idle: a batch goes in after this long at most.
  private static final long MAX_BATCH_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long MIN_BATCH_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long RETAINED_CHECK_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final String RETAINED =
      "SELECT (pg_current_wal_lsn() - restart_lsn)::bigint FROM pg_replication_slots"
          + " WHERE slot_name = ? AND database = current_database()";

  private final DatabaseUrl database;
  private final CaptureSettings settings;
  private final PlankMetrics metrics;
  private final Thread thread;
  private volatile boolean closed;
  private volatile boolean leading;
  private long nextRetainedCheck;
  private boolean warnedRetained;

  public WalLeader(DatabaseUrl database, CaptureSettings settings, PlankMetrics metrics) {
    this.database = database;
    this.settings = settings;
    this.metrics = metrics;
    this.thread = new Thread(this, "plank-wal-leader");
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  /**
   * Creates the slot if it is missing; blocking. Called before the node reports ready: a change
   * committed before the slot exists is never decoded, so the slot must exist first.
   */
  public void createSlot() throws SQLException {
    try (Connection conn = connect(false)) {
      ensureSlot(conn);
    }
  }

  /** Whether this node leads right now. Any thread. */
  public boolean isLeading() {
    return leading;
  }

  /** Stops reading; the lock and the slot are released as the connections close. */
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void run() {
    long backoff = 100;
    while (!closed) {
      try {
        lead();
        backoff = 100;
      } catch (InterruptedException e) {
        return;
      } catch (Exception | OutOfMemoryError e) {
        // Out of memory too: a leader thread that died of it would leave the node up and silent.
        if (closed) return;
        LOG.warn(
            "WAL capture stopped: {}; retrying",
            e instanceof OutOfMemoryError
                ? "out of memory (" + e.getMessage() + ")"
                : e.getMessage());
        LOG.debug("WAL capture failure", e);
        sleepQuietly(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      } finally {
        setLeading(false);
      }
    }
  }

  private void lead() throws SQLException, InterruptedException {
    try (Connection ctl = connect(false)) {
      while (!closed && !tryLock(ctl)) {
        checkRetained(ctl);
        Thread.sleep(200);
      }
      if (closed) return;
      refuseBesideTriggers(ctl);
      setLeading(true);
      LOG.info("This node now leads WAL capture (slot {})", settings.slot());
      ensureSlot(ctl);
      WalAppender appender = new WalAppender(ctl, settings.slot());
      try (Connection repl = connect(true)) {
        PGReplicationStream stream = openStream(repl);
        try {
          new Reading(appender, stream, ctl).run();
        } finally {
          if (!repl.isClosed()) stream.close();
        }
      }
    }
  }

  /**
   * A node with trigger capture installed its triggers (a switch back to trigger mode): reading the
   * slot as well would capture every change twice.
   */
  private void refuseBesideTriggers(Connection ctl) throws SQLException {
    try (PreparedStatement st =
        ctl.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_publication_rel r ON r.prrelid ="
                + " t.tgrelid JOIN pg_publication p ON p.oid = r.prpubid WHERE t.tgname ="
                + " 'plank_capture' AND p.pubname = ?)")) {
      st.setString(1, settings.slot());
      if (triggered(st)) {
        throw new IllegalStateException(
            "trigger capture is installed (a node with PLANK_CAPTURE=trigger started): this node"
                + " does not read the slot");
      }
    }
  }

  private static boolean triggered(PreparedStatement st) throws SQLException {
    try (ResultSet rs = st.executeQuery()) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  private void setLeading(boolean value) {
    leading = value;
    metrics.walLeader(value);
  }

  private static boolean tryLock(Connection ctl) throws SQLException {
    try (PreparedStatement st = ctl.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      st.setLong(1, LEADER_LOCK);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * Makes the slot usable. A slot invalidated by {@code max_slot_wal_keep_size}, or gone while the
   * log records a position of it ({@code plank slot drop}), lost changes that no one will decode:
   * it is recreated and every subscriber told to resync, through the log, so that every node's
   * clients and every older cursor learn it. Never a silent gap or a stall.
   */
  private void ensureSlot(Connection ctl) throws SQLException {
    Slots.Status status = Slots.status(ctl, settings.slot());
    boolean broken = false;
    if (status.lost()) {
      LOG.warn(
          "The replication slot {} was invalidated (the server removed WAL it still needed, see"
              + " max_slot_wal_keep_size): changes since are lost; recreating it and telling every"
              + " subscriber to resync",
          settings.slot());
      Slots.drop(ctl, settings.slot());
      broken = true;
    } else if (!status.exists() && Slots.hasHistory(ctl, settings.slot())) {
      LOG.warn(
          "The replication slot {} is gone (dropped): changes since are lost; recreating it and"
              + " telling every subscriber to resync",
          settings.slot());
      broken = true;
    }
    createIfMissing(ctl);
    if (broken) Slots.breakHistory(ctl, settings.slot());
  }

  private void createIfMissing(Connection ctl) throws SQLException {
    try (PreparedStatement st =
        ctl.prepareStatement(
            "SELECT pg_create_logical_replication_slot(?, 'pgoutput') WHERE NOT EXISTS"
                + " (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
      st.setString(1, settings.slot());
      st.setString(2, settings.slot());
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) LOG.info("Created the replication slot {}", settings.slot());
      }
    }
  }

  /** The old leader's walsender may still hold the slot for a moment after its session ended. */
  private PGReplicationStream openStream(Connection repl)
      throws SQLException, InterruptedException {
    for (int attempt = 0; ; attempt++) {
      try {
        return repl.unwrap(PGConnection.class)
            .getReplicationAPI()
            .replicationStream()
            .logical()
            .withSlotName(settings.slot())
            .withSlotOption("proto_version", "1")
            .withSlotOption("publication_names", settings.slot())
            .withStatusInterval(10, TimeUnit.SECONDS)
            .start();
      } catch (SQLException e) {
        if (!"55006".equals(e.getSQLState()) || attempt >= 50 || closed) throw e;
        Thread.sleep(200);
      }
    }
  }

  private void checkRetained(Connection ctl) throws SQLException {
    long now = System.nanoTime();
    if (now - nextRetainedCheck < 0) return;
    nextRetainedCheck = now + RETAINED_CHECK_NANOS;
    try (PreparedStatement st = ctl.prepareStatement(RETAINED)) {
      st.setString(1, settings.slot());
      try (ResultSet rs = st.executeQuery()) {
        long bytes = rs.next() ? rs.getLong(1) : -1;
        metrics.slotRetainedBytes(bytes);
        if (bytes > settings.slotWarnBytes() && !warnedRetained) {
          LOG.warn(
              "The replication slot {} keeps {} MB of WAL on the database server (above"
                  + " PLANK_SLOT_WARN_MB); is capture keeping up?",
              settings.slot(),
              bytes / (1024 * 1024));
        }
        warnedRetained = bytes > settings.slotWarnBytes();
      }
    }
  }

  private Connection connect(boolean replication) throws SQLException {
    Properties props = new Properties();
    PGProperty.USER.set(props, database.user());
    if (database.password() != null) PGProperty.PASSWORD.set(props, database.password());
    String sslmode = database.params().get("sslmode");
    if (sslmode != null) PGProperty.SSL_MODE.set(props, sslmode);
    PGProperty.APPLICATION_NAME.set(props, replication ? "plank-wal" : "plank-wal-leader");
    PGProperty.TCP_KEEP_ALIVE.set(props, true);
    if (replication) {
      PGProperty.REPLICATION.set(props, "database");
      PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
      PGProperty.PREFER_QUERY_MODE.set(props, "simple");
    }
    String url =
        "jdbc:postgresql://" + database.host() + ":" + database.port() + "/" + database.database();
    return DriverManager.getConnection(url, props);
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One leadership's reading loop: decode, batch, append, confirm. */
  private final class Reading {
    private final WalAppender appender;
    private final PGReplicationStream stream;
    private final Connection ctl;
    private final Map<Integer, PgOutput.Relation> relations = new HashMap<>();
    private final Map<Integer, Set<Integer>> jsonColumns = new HashMap<>();
    private final List<WalChange> batch = new ArrayList<>();
    private long batchChars;
    private WalAppender.Applied applied;
    // The transaction being read: its commit LSN, changes seen, and how many of them to skip.
    private PgOutput.Begin txn;
    private long seen;
    private long skip;
    // Where the batch brings the log: set when a change is added or a transaction ends.
    private WalAppender.Applied target;
    private long batchStarted;
    private long lastAppendNanos;

    Reading(WalAppender appender, PGReplicationStream stream, Connection ctl) throws SQLException {
      this.appender = appender;
      this.stream = stream;
      this.ctl = ctl;
      this.applied = appender.load();
    }

    void run() throws SQLException, InterruptedException {
      while (!closed) {
        ByteBuffer buffer = stream.readPending();
        if (buffer == null) {
          idle();
          // Every millisecond slept here is added to each change's commit-to-client latency; an
          // empty readPending is a non-blocking socket check, so polling this often costs little.
          Thread.sleep(1);
          continue;
        }
        handle(PgOutput.parse(buffer));
      }
    }

    private void idle() throws SQLException {
      if (target != null) {
        flush();
      } else if (txn == null) {
        // Nothing read is waiting: the slot may move on past WAL with nothing to capture.
        LogSequenceNumber received = stream.getLastReceiveLSN();
        if (received.asLong() > stream.getLastFlushedLSN().asLong()) {
          stream.setFlushedLSN(received);
          stream.setAppliedLSN(received);
        }
      }
      checkRetained(ctl);
    }

    private void handle(PgOutput.Message message) throws SQLException {
      if (message instanceof PgOutput.Begin b) {
        txn = b;
        seen = 0;
        if (b.finalLsn() < applied.commitLsn()) skip = Long.MAX_VALUE;
        else if (b.finalLsn() == applied.commitLsn()) skip = applied.changesDone();
        else skip = 0;
      } else if (message instanceof PgOutput.Commit c) {
        commit(c);
      } else if (message instanceof PgOutput.Relation r) {
        relations.put(r.id(), r);
        jsonColumns.put(r.id(), appender.jsonColumns(r));
      } else if (message instanceof PgOutput.Insert i) {
        add(i.relationId(), "INSERT", row(i.relationId(), i.row()), null);
      } else if (message instanceof PgOutput.Update u) {
        update(u);
      } else if (message instanceof PgOutput.Delete d) {
        add(d.relationId(), "DELETE", row(d.relationId(), d.old()), null);
      } else if (message instanceof PgOutput.Truncate t) {
        for (int id : t.relationIds()) add(id, "TRUNCATE", null, null);
      }
      // Origin, Type and the rest: nothing to capture.
    }

    private void update(PgOutput.Update u) throws SQLException {
      List<String> values = new ArrayList<>(u.row().values());
      if (u.old() != null) {
        // Unchanged TOASTed values are not sent; REPLICA IDENTITY FULL gives them in the old row.
        u.row().unchanged().stream()
            .filter(i -> i < u.old().values().size())
            .forEach(i -> values.set(i, u.old().values().get(i)));
      }
      String old = u.old() == null ? null : row(u.relationId(), u.old().values());
      add(u.relationId(), "UPDATE", row(u.relationId(), values), old);
    }

    private String row(int relationId, PgOutput.Tuple tuple) throws SQLException {
      return row(relationId, tuple.values());
    }

    private String row(int relationId, List<String> values) throws SQLException {
      PgOutput.Relation relation = relation(relationId);
      Set<Integer> json = jsonColumns.get(relationId);
      return RowText.of(relation.columns(), values, json::contains);
    }

    private PgOutput.Relation relation(int id) {
      PgOutput.Relation relation = relations.get(id);
      if (relation == null) throw new IllegalStateException("change for unknown relation " + id);
      return relation;
    }

    private void add(int relationId, String op, String data, String old) throws SQLException {
      if (txn == null) throw new IllegalStateException("a change outside a transaction");
      seen++;
      if (seen <= skip) return; // the log has it already (a restart re-read it)
      if (batch.isEmpty()) batchStarted = System.nanoTime();
      batch.add(new WalChange(relation(relationId), op, txn.commitTime(), data, old));
      batchChars += (data == null ? 0 : data.length()) + (old == null ? 0 : old.length());
      target = new WalAppender.Applied(txn.finalLsn(), seen, 0);
      // Bounded memory for a large transaction: its first part goes in, marked as partial.
      if (full()) flush();
    }

    private void commit(PgOutput.Commit c) throws SQLException {
      if (target == null && (skip == Long.MAX_VALUE || seen == 0)) {
        // The log had all of it, or it had nothing to capture: nothing to write.
        confirm(c.endLsn());
      } else if (skip != Long.MAX_VALUE) {
        target = new WalAppender.Applied(c.commitLsn(), seen, c.endLsn());
      }
      txn = null;
      if (full() || System.nanoTime() - batchStarted > batchDelay()) {
        flush();
      }
    }

    /**
     * How long a batch may gather transactions: about as long as the last append took. A steady
     * stream keeps the stream busy, so waiting for it to fall quiet (see {@code idle}) could take
     * up to the maximum; an append that takes longer means a busier database, where bigger batches
     * keep up.
     */
    private long batchDelay() {
      return Math.max(MIN_BATCH_DELAY_NANOS, Math.min(MAX_BATCH_DELAY_NANOS, lastAppendNanos));
    }

    private boolean full() {
      return batch.size() >= BATCH || batchChars >= BATCH_CHARS;
    }

    private void flush() throws SQLException {
      if (target == null) return;
      long started = System.nanoTime();
      appender.append(batch, target);
      lastAppendNanos = System.nanoTime() - started;
      applied = target;
      batch.clear();
      batchChars = 0;
      target = null;
      if (applied.complete()) confirm(applied.endLsn());
    }

    private void confirm(long endLsn) throws SQLException {
      LogSequenceNumber lsn = LogSequenceNumber.valueOf(endLsn);
      stream.setFlushedLSN(lsn);
      stream.setAppliedLSN(lsn);
      stream.forceUpdateStatus();
    }
  }
}
