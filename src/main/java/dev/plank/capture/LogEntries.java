package dev.plank.capture;

import dev.plank.db.TableRef;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads rows of {@code plank.changes} as changes. A change larger than the configured maximum, or
 * one that cannot be read, comes back {@linkplain Change#withheld withheld}: its place in the
 * stream is kept and its subscribers resync, so one row can never stop the stream. Stateless.
 */
public final class LogEntries {
  private static final Logger LOG = LoggerFactory.getLogger(LogEntries.class);
  private final ChangeDecoder decoder = new ChangeDecoder();
  private final int maxChangeBytes;

  public LogEntries(int maxChangeBytes) {
    this.maxChangeBytes = maxChangeBytes;
  }

  public ChangeDecoder decoder() {
    return decoder;
  }

  /** The largest change delivered whole, in bytes of its JSON. */
  public int maxChangeBytes() {
    return maxChangeBytes;
  }

  /**
   * {@code SELECT … FROM plank.changes c}, to be followed by WHERE and ORDER BY on {@code c}, with
   * the size limit bound as parameter {@code $limitParam} (pass {@link #maxChangeBytes()}). The
   * change's JSON is built once, measured in the database, and sent only when it fits.
   */
  public static String select(int limitParam) {
    return """
        SELECT c.seq, c.xid::text, c.snapshot_xmin::text, c.schema_name, c.table_name, c.op,
               CASE WHEN octet_length(j.json) <= $%d THEN j.json END
        FROM plank.changes c CROSS JOIN LATERAL (SELECT plank.change_json(c) AS json) j
        """
        .formatted(limitParam);
  }

  /** One row of {@link #select}. */
  public Change read(Row row) {
    long seq = row.getLong(0);
    String json = row.getString(6);
    if (json != null) {
      try {
        return decoder.change(json);
      } catch (IOException | RuntimeException e) {
        LOG.error("Change seq {} in the log cannot be read ({}); withheld", seq, e.getMessage());
      }
    }
    return Change.withheld(
        seq,
        Long.parseLong(row.getString(1)),
        Long.parseLong(row.getString(2)),
        null,
        new TableRef(row.getString(3), row.getString(4)),
        Change.Op.valueOf(row.getString(5)));
  }
}
