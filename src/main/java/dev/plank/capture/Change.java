package dev.plank.capture;

import dev.plank.db.TableRef;

/**
 * One committed row change, parsed once by the listener and shared, read-only, by everything
 * downstream.
 *
 * @param xid the writing transaction, which tells whether a snapshot already contains the change
 * @param xmin the writing transaction's snapshot xmin, the second half of the position
 * @param data the new row (INSERT, UPDATE) or the deleted row (DELETE), exactly as PostgreSQL's
 *     JSON wrote it; {@code null} when the change is {@linkplain #isWithheld() withheld}
 * @param old the row before an UPDATE, else {@code null}
 */
public record Change(
    long seq, long xid, long xmin, String ts, TableRef table, Op op, RowJson data, RowJson old) {

  public enum Op {
    INSERT,
    UPDATE,
    DELETE,
    /**
     * The table was truncated: no rows, and every subscriber of its channel resyncs, whatever its
     * events and filter.
     */
    TRUNCATE
  }

  /**
   * A change too large to deliver (over {@code PLANK_MAX_CHANGE_BYTES}) or unreadable: it keeps its
   * place in the stream, so ordering and de-duplication stay exact, but its rows are left in the
   * log and its subscribers are told to resync instead.
   */
  public static Change withheld(long seq, long xid, long xmin, String ts, TableRef table, Op op) {
    return new Change(seq, xid, xmin, ts, table, op, null, null);
  }

  public boolean isWithheld() {
    return data == null;
  }

  /**
   * The resume position just after this change. Changes come from the trigger log, whose positions
   * are untagged; a source with a history of its own would carry its epoch here.
   */
  public Position position() {
    return Position.untagged(seq, xmin);
  }
}
