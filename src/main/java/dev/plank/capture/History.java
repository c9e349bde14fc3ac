package dev.plank.capture;

import io.vertx.core.Future;

/**
 * The committed changes a node can read again: what replays a client's cursor, refills the gap
 * after a capture outage and fixes the position of a snapshot. Today the trigger log ({@link
 * ChangeLog}) is the only one.
 */
public interface History {
  /** The epoch of this history's positions; a position of another epoch is expired here. */
  String epoch();

  /** Opens a read at one consistent snapshot; the caller must close it. */
  Future<HistoryRead> open();
}
