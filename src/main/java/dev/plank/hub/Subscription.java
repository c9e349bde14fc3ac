package dev.plank.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.capture.Change;
import dev.plank.capture.PgSnapshot;
import dev.plank.capture.RowJson;
import dev.plank.capture.TrustedJson;
import dev.plank.db.TableRef;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One client's interest in one channel, with its events and compiled filter, and the bound filter
 * its principal's policy sets, if any.
 */
final class Subscription {
  /** The resync reason for a change too large to deliver (or unreadable). */
  static final String WITHHELD = "change_too_large";

  /** The resync reason for a row of a table without a primary key that left the bound filter. */
  static final String LEFT_BOUND = "row_left_view";

  private static final ObjectWriter KEY_WRITER =
      TrustedJson.MAPPER.writer().with(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN);

  /** The resync reason for a TRUNCATE of the channel's table. */
  static final String TRUNCATED = "truncated";

  final Subscriber subscriber;
  final ChangeCodec codec; // the subscriber's, fixed for its connection
  final TableRef table;
  private final EnumSet<Change.Op> events;
  private final Filter filter;
  // The rows the policy lets this subscriber see; null for every row, the common case, which then
  // costs the fan-out nothing more than before.
  private final Filter bound;
  private final List<String> key; // the table's primary key, for key-only DELETEs
  private final Filter snapshotFilter; // both filters
  int slot = -1; // position in its channel's list, -1 once removed; owned by the hub's context
  CatchUp catchUp; // while a replay or snapshot runs, else null; owned by the hub's context
  PgSnapshot seam; // the catch-up's read: changes it saw were sent; owned by the hub's context

  Subscription(Subscriber subscriber, TableRef table, Set<Change.Op> events, Filter filter) {
    this(subscriber, table, events, filter, null, List.of());
  }

  /**
   * @param bound the policy's bound filter, or null when every row may be seen
   * @param key the table's primary key columns
   */
  Subscription(
      Subscriber subscriber,
      TableRef table,
      Set<Change.Op> events,
      Filter filter,
      Filter bound,
      List<String> key) {
    this.subscriber = subscriber;
    this.bound = bound == null || bound.isAll() ? null : bound;
    this.key = List.copyOf(key);
    this.snapshotFilter = this.bound == null ? filter : this.bound.and(filter);
    this.codec = subscriber.codec();
    this.table = table;
    this.events = events.isEmpty() ? EnumSet.allOf(Change.Op.class) : EnumSet.copyOf(events);
    this.filter = filter;
  }

  Filter filter() {
    return filter;
  }

  /** The client's filter and the bound filter together: what a snapshot may read. */
  Filter snapshotFilter() {
    return snapshotFilter;
  }

  /** Whether and how this subscriber receives the change. */
  Shape shape(Change change) {
    if (bound == null) return matches(change) ? Shape.AS_IS : Shape.NONE;
    if (change.isWithheld()) return events.contains(change.op()) ? Shape.AS_IS : Shape.NONE;
    ObjectNode data = change.data().columns();
    if (change.op() != Change.Op.UPDATE) {
      return events.contains(change.op()) && bound.matches(data) && filter.matches(data)
          ? Shape.AS_IS
          : Shape.NONE;
    }
    ObjectNode old = change.old() == null ? null : change.old().columns();
    // Without the old row, whether the subscriber saw it is unknown: it only learns of the new.
    boolean oldIn = old != null && bound.matches(old);
    boolean newIn = bound.matches(data);
    if (oldIn && newIn) return matches(change) ? Shape.AS_IS : Shape.NONE;
    // The client's filter sees only the rows the bound lets through: the other side is not
    // consulted, so not even whether it matched leaks.
    if (newIn) {
      return events.contains(Change.Op.INSERT) && filter.matches(data)
          ? Shape.AS_INSERT
          : Shape.NONE;
    }
    if (oldIn) {
      if (!events.contains(Change.Op.DELETE) || !filter.matches(old)) return Shape.NONE;
      return key.isEmpty() ? Shape.RESYNC : Shape.AS_KEY_DELETE;
    }
    return Shape.NONE;
  }

  /** The change as this subscription's shape presents it; {@link Shape#AS_IS} is the change. */
  Change reshape(Change change, Shape shape) {
    return switch (shape) {
      case AS_INSERT ->
          new Change(
              change.seq(),
              change.xid(),
              change.xmin(),
              change.ts(),
              change.table(),
              Change.Op.INSERT,
              change.data(),
              null);
      case AS_KEY_DELETE ->
          new Change(
              change.seq(),
              change.xid(),
              change.xmin(),
              change.ts(),
              change.table(),
              Change.Op.DELETE,
              keyOnly(change.old()),
              null);
      default -> change;
    };
  }

  private RowJson keyOnly(RowJson row) {
    ObjectNode columns = row.columns();
    ObjectNode out = TrustedJson.MAPPER.createObjectNode();
    for (String column : key) {
      JsonNode value = columns.get(column);
      out.set(column, value == null ? out.nullNode() : value);
    }
    try {
      return new RowJson(KEY_WRITER.writeValueAsString(out));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree of parsed JSON always serialises
    }
  }

  /**
   * Without a bound filter: an UPDATE matches when the new or the old row does, so a filtered view
   * sees a row leave. A withheld change matches whatever the filter: it may have been in the view,
   * so the client must resync.
   */
  boolean matches(Change change) {
    if (change.op() == Change.Op.TRUNCATE) return true; // every view of the table is now wrong
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
    return deliver(change, shape(change));
  }

  /** {@link #deliver(Change)} with the shape already known. */
  int deliver(Change change, Shape shape) {
    if (shape == Shape.NONE) return 0;
    if (change.isWithheld()) {
      subscriber.resync(table.channel(), change.op() == Change.Op.TRUNCATE ? TRUNCATED : WITHHELD);
      return 0;
    }
    if (shape == Shape.RESYNC) {
      subscriber.resync(table.channel(), LEFT_BOUND);
      return 0;
    }
    byte[] frame = codec.change(reshape(change, shape));
    subscriber.send(frame);
    return frame.length;
  }
}
