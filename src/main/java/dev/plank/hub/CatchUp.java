package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.capture.Change;
import dev.plank.capture.History;
import dev.plank.capture.HistoryRead;
import dev.plank.capture.OnContext;
import dev.plank.capture.Position;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.PreparedStatement;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one new subscription up to date, by a replay of the log from a cursor or by a snapshot of
 * the table, while live changes for it wait here; then hands it to the live stream. The read's
 * snapshot decides the seam: a waiting change whose transaction the read already saw is dropped,
 * every other one is sent, so nothing is missed or doubled between the two.
 *
 * <p>Owned by the hub's context. Pages are paced by the client's outbound queue.
 */
final class CatchUp {
  private static final Logger log = LoggerFactory.getLogger(CatchUp.class);
  static final int REPLAY_PAGE = 500;
  static final int SNAPSHOT_BATCH = 100;
  static final int SNAPSHOT_PAGE_ROWS = 500;
  static final int MAX_WAITING = 100_000;
  // Bytes sent before waiting for the client to make room, for replay slices and snapshot pages.
  static final int SLICE_BYTES = 256 * 1024;
  static final long DRAIN_DEADLINE_MS = 30_000;

  private final Subscription subscription;
  private final TableInfo table;
  private final Position since; // null for a snapshot
  private final JsonNode requestId; // echoed in snapshot pages
  private final Context context;
  private final History history;
  private final FrameEncoder encoder;
  private final ObjectMapper json;
  private final ArrayDeque<Change> waiting = new ArrayDeque<>();
  private final Runnable onDone; // tells the hub a read slot is free
  private HistoryRead reader;
  private PreparedStatement statement; // a snapshot's, closed when done
  private boolean overflowed;
  private boolean finished;

  CatchUp(
      Subscription subscription,
      TableInfo table,
      JsonNode requestId,
      Position since,
      Context context,
      History history,
      FrameEncoder encoder,
      ObjectMapper json,
      Runnable onDone) {
    this.subscription = subscription;
    this.table = table;
    this.since = since;
    this.requestId = requestId;
    this.context = context;
    this.history = history;
    this.encoder = encoder;
    this.json = json;
    this.onDone = onDone;
  }

  /** A live change for this subscription that arrived while the read runs. */
  void hold(Change change) {
    if (overflowed) return;
    if (waiting.size() >= MAX_WAITING) {
      // The read is far behind the live stream; the client resumes later from its cursor.
      overflowed = true;
      waiting.clear();
      subscription.subscriber.tooSlow();
      return;
    }
    waiting.add(change);
  }

  void start() {
    step(
        history.open(),
        opened -> {
          reader = opened;
          if (!active()) finish(false);
          else if (since == null) snapshot();
          else if (reader.expired(since)) resync("cursor_expired");
          else replay(-1);
        });
  }

  private void replay(long afterSeq) {
    step(reader.changesAfter(since, table.ref(), afterSeq, REPLAY_PAGE), page -> send(page, 0));
  }

  /** Sends a replay page in slices of about {@link #SLICE_BYTES}, each once the client has room. */
  private void send(List<Change> page, int from) {
    if (!active()) {
      finish(false);
      return;
    }
    int bytes = 0;
    for (int i = from; i < page.size(); i++) {
      Change change = page.get(i);
      if (!subscription.matches(change)) continue;
      byte[] frame = encoder.encode(change);
      subscription.subscriber.send(frame);
      bytes += frame.length;
      if (bytes >= SLICE_BYTES && i + 1 < page.size()) {
        int next = i + 1;
        afterDrain(() -> send(page, next));
        return;
      }
    }
    if (page.size() < REPLAY_PAGE) finish(false);
    else afterDrain(() -> replay(page.get(page.size() - 1).seq()));
  }

  private void snapshot() {
    List<Object> params = new ArrayList<>();
    String sql =
        "SELECT to_jsonb(t)::text FROM "
            + table.ref().quoted()
            + " t WHERE "
            + subscription.filter().toSql(params)
            + orderByPrimaryKey();
    step(
        reader.connection().prepare(sql),
        prepared -> {
          statement = prepared;
          readRows(prepared.cursor(Tuple.from(params)), new Page());
        });
  }

  private String orderByPrimaryKey() {
    if (table.primaryKey().isEmpty()) return "";
    return " ORDER BY "
        + String.join(
            ", ", table.primaryKey().stream().map(c -> "t." + TableRef.quote(c)).toList());
  }

  private void readRows(io.vertx.sqlclient.Cursor rows, Page page) {
    step(
        rows.read(SNAPSHOT_BATCH),
        batch -> {
          if (!active()) {
            finish(false);
            return;
          }
          for (Row row : batch) page.add(row.getString(0));
          boolean more = rows.hasMore();
          if (!more) {
            sendPage(page, true);
            rows.close();
            finish(false);
          } else if (page.isFull()) {
            sendPage(page, false);
            afterDrain(() -> readRows(rows, new Page()));
          } else {
            readRows(rows, page);
          }
        });
  }

  private ObjectNode parse(String row) {
    try {
      return (ObjectNode) json.readTree(row);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("row is not JSON", e);
    }
  }

  private void sendPage(Page page, boolean last) {
    subscription.subscriber.send(
        encoder.snapshotPage(
            table.ref().channel(), requestId, page.rows, last, last ? reader.position() : null));
  }

  /** Rows of one snapshot message, bounded in count and size; rows the filter rejects are left. */
  private final class Page {
    final List<ObjectNode> rows = new ArrayList<>();
    int bytes;

    void add(String text) {
      ObjectNode row = parse(text);
      if (!subscription.filter().matches(row)) return;
      rows.add(row);
      bytes += text.length();
    }

    boolean isFull() {
      return rows.size() >= SNAPSHOT_PAGE_ROWS || bytes >= SLICE_BYTES;
    }
  }

  private void resync(String reason) {
    subscription.subscriber.resync(table.ref().channel(), reason);
    finish(true);
  }

  private void failed(Throwable err) {
    if (finished) return;
    log.warn(
        "Catching up a subscription to {} failed: {}; asking the client to resync",
        table.ref().channel(),
        err.getMessage());
    if (active()) resync("replay_failed");
    else finish(false);
  }

  /**
   * Ends the read and goes live: sends the waiting changes the read did not cover, or all of them
   * when the client reloads anyway.
   */
  private void finish(boolean all) {
    if (finished) return;
    finished = true;
    release();
    onDone.run();
    if (subscription.catchUp != this) return;
    subscription.catchUp = null;
    if (!active() || overflowed) return;
    for (Change change : waiting) {
      if (all || !reader.seam().sees(change.xid())) {
        subscription.subscriber.send(encoder.encode(change));
      }
    }
    waiting.clear();
    // Notifications still on their way may carry changes the read already sent; the hub drops
    // them with this snapshot from now on.
    if (!all) subscription.seam = reader.seam();
  }

  /** Closes the statement (server-side, it outlives the transaction) and ends the read. */
  private void release() {
    if (reader == null) return;
    Future<Void> closed = statement == null ? Future.succeededFuture() : statement.close();
    closed.onComplete(r -> reader.close());
  }

  private boolean active() {
    return subscription.slot >= 0 && subscription.subscriber.isOpen() && !overflowed;
  }

  /**
   * Runs {@code next} once the client has room. A client that makes none within {@link
   * #DRAIN_DEADLINE_MS} is cut as a slow consumer: it must not hold a pooled connection and an open
   * snapshot for ever.
   */
  private void afterDrain(Runnable next) {
    Vertx vertx = context.owner();
    long deadline =
        vertx.setTimer(
            DRAIN_DEADLINE_MS,
            t -> {
              if (active()) subscription.subscriber.tooSlow();
            });
    step(
        subscription.subscriber.whenWritable(),
        v -> {
          vertx.cancelTimer(deadline);
          if (active()) next.run();
          else finish(false);
        });
  }

  /**
   * Continues with the outcome on the hub's context; a failure or a throw ends in {@link #failed}.
   */
  private <T> void step(Future<T> future, Consumer<T> next) {
    here(future)
        .onComplete(
            r -> {
              if (r.failed()) {
                failed(r.cause());
                return;
              }
              try {
                next.accept(r.result());
              } catch (RuntimeException e) {
                failed(e);
              }
            });
  }

  private <T> Future<T> here(Future<T> future) {
    return OnContext.of(context, future);
  }
}
