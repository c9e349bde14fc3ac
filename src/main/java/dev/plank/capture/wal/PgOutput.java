package dev.plank.capture.wal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Parses the messages of PostgreSQL's built-in {@code pgoutput} plugin, protocol version 1 (no
 * streaming of in-progress transactions, text-format values). Stateless.
 */
final class PgOutput {
  /** Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01. */
  private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

  private PgOutput() {}

  sealed interface Message
      permits Begin, Commit, Relation, Insert, Update, Delete, Truncate, Other {}

  /** A transaction starts; {@code finalLsn} is its commit record's LSN, unique and ordered. */
  record Begin(long finalLsn, Instant commitTime, int xid) implements Message {}

  /** It committed; {@code endLsn} is where the slot may be confirmed to once it is applied. */
  record Commit(long commitLsn, long endLsn, Instant commitTime) implements Message {}

  /** A column as the Relation message describes it. */
  record Column(String name, int typeOid) {}

  /** The table's current shape; sent before its first change and again after each ALTER. */
  record Relation(int id, String schema, String table, List<Column> columns) implements Message {}

  /**
   * Column values as text, {@code null} for SQL NULL; {@code unchanged} marks the TOASTed values an
   * UPDATE left alone, which pgoutput does not send.
   */
  record Tuple(List<String> values, BitSet unchanged) {}

  record Insert(int relationId, Tuple row) implements Message {}

  /** {@code old} is null unless the table's replica identity sends the old row (or key). */
  record Update(int relationId, Tuple old, Tuple row) implements Message {}

  record Delete(int relationId, Tuple old) implements Message {}

  record Truncate(List<Integer> relationIds) implements Message {}

  /** Origin, Type, logical messages: nothing Plank needs. */
  record Other(char tag) implements Message {}

  static Message parse(ByteBuffer buf) {
    char tag = (char) buf.get();
    return switch (tag) {
      case 'B' -> new Begin(buf.getLong(), time(buf.getLong()), buf.getInt());
      case 'C' -> {
        buf.get(); // flags, unused
        yield new Commit(buf.getLong(), buf.getLong(), time(buf.getLong()));
      }
      case 'R' -> relation(buf);
      case 'I' -> {
        int rel = buf.getInt();
        buf.get(); // 'N'
        yield new Insert(rel, tuple(buf));
      }
      case 'U' -> {
        int rel = buf.getInt();
        byte kind = buf.get();
        Tuple old = null;
        if (kind == 'K' || kind == 'O') {
          old = tuple(buf);
          kind = buf.get();
        }
        if (kind != 'N') throw new IllegalStateException("Update without a new tuple");
        yield new Update(rel, old, tuple(buf));
      }
      case 'D' -> {
        int rel = buf.getInt();
        buf.get(); // 'K' or 'O'
        yield new Delete(rel, tuple(buf));
      }
      case 'T' -> {
        int n = buf.getInt();
        buf.get(); // options: CASCADE, RESTART IDENTITY
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) ids.add(buf.getInt());
        yield new Truncate(ids);
      }
      default -> new Other(tag);
    };
  }

  private static Relation relation(ByteBuffer buf) {
    int id = buf.getInt();
    String schema = string(buf);
    String table = string(buf);
    buf.get(); // replica identity setting
    int n = buf.getShort();
    List<Column> columns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      buf.get(); // flags: part of the key
      String name = string(buf);
      int type = buf.getInt();
      buf.getInt(); // typmod
      columns.add(new Column(name, type));
    }
    return new Relation(id, schema.isEmpty() ? "pg_catalog" : schema, table, columns);
  }

  private static Tuple tuple(ByteBuffer buf) {
    int n = buf.getShort();
    List<String> values = new ArrayList<>(n);
    BitSet unchanged = new BitSet();
    for (int i = 0; i < n; i++) {
      byte kind = buf.get();
      switch (kind) {
        case 'n' -> values.add(null);
        case 'u' -> {
          unchanged.set(i);
          values.add(null);
        }
        case 't' -> {
          byte[] bytes = new byte[buf.getInt()];
          buf.get(bytes);
          values.add(new String(bytes, StandardCharsets.UTF_8));
        }
        default -> throw new IllegalStateException("tuple value kind " + (char) kind);
      }
    }
    return new Tuple(values, unchanged);
  }

  private static String string(ByteBuffer buf) {
    int start = buf.position();
    while (buf.get() != 0) {
      // find the terminating NUL
    }
    byte[] bytes = new byte[buf.position() - start - 1];
    buf.position(start);
    buf.get(bytes);
    buf.get(); // the NUL
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static Instant time(long pgMicros) {
    long micros = pgMicros + PG_EPOCH_MICROS;
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000);
  }
}
