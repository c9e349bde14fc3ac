package dev.plank.capture;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.db.TableRef;

/**
 * One committed row change, parsed once by the listener and shared, read-only, by everything
 * downstream.
 *
 * @param xid the writing transaction, which tells whether a snapshot already contains the change
 * @param xmin the writing transaction's snapshot xmin, the second half of the position
 * @param data the new row (INSERT, UPDATE) or the deleted row (DELETE)
 * @param old the row before an UPDATE, else {@code null}
 */
public record Change(
    long seq,
    long xid,
    long xmin,
    String ts,
    TableRef table,
    Op op,
    ObjectNode data,
    ObjectNode old) {

  public enum Op {
    INSERT,
    UPDATE,
    DELETE
  }

  /**
   * The resume position just after this change. Changes come from the trigger log, whose positions
   * are untagged; a source with a history of its own would carry its epoch here.
   */
  public Position position() {
    return Position.untagged(seq, xmin);
  }
}
