package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.HistoryRead;
import dev.plank.capture.RowJson;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import io.vertx.core.Future;
import io.vertx.sqlclient.Cursor;
import io.vertx.sqlclient.PreparedStatement;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Sends one subscription the rows of its table that match its filter, read in the history read's
 * transaction (so at its snapshot) and sent in pages, each once the client has room; the last page
 * carries the read's position. Owned by the hub's context.
 */
final class SnapshotRead {
  static final int SNAPSHOT_BATCH = 100;
  static final int SNAPSHOT_PAGE_ROWS = 500;

  private final Subscription subscription;
  private final TableInfo table;
  private final JsonNode requestId; // echoed in every page
  private final HistoryRead read;
  private final Pacer pacer;
  private final BooleanSupplier active;
  private final Runnable done; // the last page went out, or the client went away
  private PreparedStatement statement; // closed by close()

  SnapshotRead(
      Subscription subscription,
      TableInfo table,
      JsonNode requestId,
      HistoryRead read,
      Pacer pacer,
      BooleanSupplier active,
      Runnable done) {
    this.subscription = subscription;
    this.table = table;
    this.requestId = requestId;
    this.read = read;
    this.pacer = pacer;
    this.active = active;
    this.done = done;
  }

  void start() {
    List<Object> params = new ArrayList<>();
    // t.* is the whole row even when the table has a column named t (to_jsonb(t) would be that).
    String sql =
        "SELECT to_jsonb(t.*)::text FROM "
            + table.ref().quoted()
            + " t WHERE "
            + subscription.snapshotFilter().toSql(params)
            + orderByPrimaryKey();
    pacer.step(
        read.connection().prepare(sql),
        prepared -> {
          statement = prepared;
          readRows(prepared.cursor(Tuple.from(params)), new Page());
        });
  }

  /** Closes the statement: server-side, it outlives the transaction. */
  Future<Void> close() {
    return statement == null ? Future.succeededFuture() : statement.close();
  }

  private String orderByPrimaryKey() {
    if (table.primaryKey().isEmpty()) return "";
    return " ORDER BY "
        + String.join(
            ", ", table.primaryKey().stream().map(c -> "t." + TableRef.quote(c)).toList());
  }

  private void readRows(Cursor rows, Page page) {
    pacer.step(
        rows.read(SNAPSHOT_BATCH),
        batch -> {
          if (!active.getAsBoolean()) {
            done.run();
            return;
          }
          for (Row row : batch) page.add(row.getString(0));
          boolean more = rows.hasMore();
          if (!more) {
            sendPage(page, true);
            rows.close();
            done.run();
          } else if (page.isFull()) {
            sendPage(page, false);
            pacer.afterDrain(() -> readRows(rows, new Page()));
          } else {
            readRows(rows, page);
          }
        });
  }

  private void sendPage(Page page, boolean last) {
    subscription.subscriber.snapshotPage(
        table.ref().channel(), requestId, page.rows, last, last ? read.position() : null);
  }

  /** Rows of one snapshot message, bounded in count and size; rows the filter rejects are left. */
  private final class Page {
    final List<RowJson> rows = new ArrayList<>();
    int bytes;

    void add(String text) {
      RowJson row = new RowJson(text);
      Filter filter = subscription.snapshotFilter();
      if (!filter.isAll() && !filter.matches(row.columns())) return;
      rows.add(row);
      bytes += text.length();
    }

    boolean isFull() {
      return rows.size() >= SNAPSHOT_PAGE_ROWS || bytes >= CatchUp.SLICE_BYTES;
    }
  }
}
