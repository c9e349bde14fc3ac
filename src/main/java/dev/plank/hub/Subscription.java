package dev.plank.hub;

import dev.plank.capture.Change;
import dev.plank.capture.PgSnapshot;
import dev.plank.db.TableRef;
import java.util.EnumSet;
import java.util.Set;

/** One client's interest in one channel, with its events and compiled filter. */
final class Subscription {
  /** The resync reason for a change too large to deliver (or unreadable). */
  static final String WITHHELD = "change_too_large";

  final Subscriber subscriber;
  final ChangeCodec codec; // the subscriber's, fixed for its connection
  final TableRef table;
  private final EnumSet<Change.Op> events;
  private final Filter filter;
  int slot = -1; // position in its channel's list, -1 once removed; owned by the hub's context
  CatchUp catchUp; // while a replay or snapshot runs, else null; owned by the hub's context
  PgSnapshot seam; // the catch-up's read: changes it saw were sent; owned by the hub's context

  Subscription(Subscriber subscriber, TableRef table, Set<Change.Op> events, Filter filter) {
    this.subscriber = subscriber;
    this.codec = subscriber.codec();
    this.table = table;
    this.events = events.isEmpty() ? EnumSet.allOf(Change.Op.class) : EnumSet.copyOf(events);
    this.filter = filter;
  }

  Filter filter() {
    return filter;
  }

  /**
   * An UPDATE matches when the new or the old row does, so a filtered view sees a row leave. A
   * withheld change matches whatever the filter: it may have been in the view, so the client must
   * resync.
   */
  boolean matches(Change change) {
    if (!events.contains(change.op())) return false;
    if (filter.isAll() || change.isWithheld()) return true;
    return filter.matches(change.data().columns())
        || (change.op() == Change.Op.UPDATE
            && change.old() != null
            && filter.matches(change.old().columns()));
  }

  /**
   * Sends one matched change encoded for this subscriber alone (replays, changes held during a
   * catch-up), or a resync for a withheld one; the live path shares frames instead.
   *
   * @return the bytes queued
   */
  int deliver(Change change) {
    if (change.isWithheld()) {
      subscriber.resync(table.channel(), WITHHELD);
      return 0;
    }
    byte[] frame = codec.change(change);
    subscriber.send(frame);
    return frame.length;
  }
}
