package dev.plank.capture;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.plank.db.TableRef;
import java.io.IOException;

/**
 * Reads the JSON written by {@code plank.change_json()}: a whole change, or a reference to one. The
 * rows are cut out of the text as they are, never parsed and written again, so every value reaches
 * clients exactly as PostgreSQL wrote it. Stateless and thread-safe.
 */
public final class ChangeDecoder {

  /** What a notification or a log row carries. */
  public sealed interface Payload permits Whole, Reference {}

  /** The whole change. */
  public record Whole(Change change) implements Payload {}

  /** Only the change's {@code seq}: it was too large for a notification; read it from the log. */
  public record Reference(long seq) implements Payload {}

  /**
   * Decodes a payload.
   *
   * @throws IOException when it is not the JSON {@code plank.change_json()} writes
   */
  public Payload read(String payload) throws IOException {
    Envelope e = new Envelope();
    try (JsonParser p = TrustedJson.MAPPER.getFactory().createParser(payload)) {
      expect(p.nextToken(), JsonToken.START_OBJECT);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        e.set(field, value, p, payload);
      }
    }
    if (e.ref) return new Reference(e.seq);
    return new Whole(e.change());
  }

  /** Decodes a payload that must be a whole change, such as a row read from the log. */
  public Change change(String payload) throws IOException {
    if (read(payload) instanceof Whole whole) return whole.change();
    throw new IOException("a reference where a whole change was expected");
  }

  private static void expect(JsonToken actual, JsonToken expected) throws IOException {
    if (actual != expected) throw new IOException("expected " + expected + ", got " + actual);
  }

  /** The fields of one payload as they are read; owned by the decoding thread. */
  private static final class Envelope {
    long seq;
    boolean ref;
    long xid;
    long xmin;
    String ts;
    String schema;
    String table;
    String op;
    RowJson data;
    RowJson old;

    void set(String field, JsonToken value, JsonParser p, String payload) throws IOException {
      switch (field) {
        case "seq" -> seq = p.getLongValue();
        case "ref" -> ref = value == JsonToken.VALUE_TRUE;
        case "xid" -> xid = Long.parseLong(p.getText()); // xid8 arrives as text
        case "xmin" -> xmin = Long.parseLong(p.getText());
        case "ts" -> ts = p.getText();
        case "schema" -> schema = p.getText();
        case "table" -> table = p.getText();
        case "op" -> op = p.getText();
        case "data" -> data = row(value, p, payload);
        case "old" -> old = row(value, p, payload);
        default -> p.skipChildren();
      }
    }

    /** The row's text, cut from the payload between its braces; {@code null} for JSON null. */
    private static RowJson row(JsonToken value, JsonParser p, String payload) throws IOException {
      if (value == JsonToken.VALUE_NULL) return null;
      expect(value, JsonToken.START_OBJECT);
      int start = (int) p.currentTokenLocation().getCharOffset();
      p.skipChildren();
      int end = (int) p.currentTokenLocation().getCharOffset() + 1;
      return new RowJson(payload.substring(start, end));
    }

    Change change() throws IOException {
      if (op == null
          || schema == null
          || table == null
          || (data == null && !"TRUNCATE".equals(op))) {
        throw new IOException("a change without op, schema, table or data");
      }
      Change.Op operation;
      try {
        operation = Change.Op.valueOf(op);
      } catch (IllegalArgumentException e) {
        throw new IOException("unknown op '" + op + "'", e);
      }
      return new Change(seq, xid, xmin, ts, new TableRef(schema, table), operation, data, old);
    }
  }
}
