package dev.plank.capture.wal;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.plank.capture.TrustedJson;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Writes a pgoutput tuple as a JSON object for {@code jsonb_populate_record}: each value as a JSON
 * string, which the column type's input function reads back exactly, except json and jsonb values,
 * embedded as JSON (as strings they would stay strings). Stateless.
 */
final class RowText {
  private RowText() {}

  /**
   * @param values the tuple's values, {@code null} for SQL NULL
   * @param isJson whether the column at an index holds json or jsonb (or a domain over them)
   */
  static String of(List<PgOutput.Column> columns, List<String> values, IntPredicate isJson) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = TrustedJson.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      for (int i = 0; i < columns.size() && i < values.size(); i++) {
        g.writeFieldName(columns.get(i).name());
        String value = values.get(i);
        if (value == null) g.writeNull();
        else if (isJson.test(i)) g.writeRawValue(value);
        else g.writeString(value);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
