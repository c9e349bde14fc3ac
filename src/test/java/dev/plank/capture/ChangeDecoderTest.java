package dev.plank.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** The decoder hands rows on exactly as PostgreSQL wrote them, whatever they hold. */
class ChangeDecoderTest {
  private final ChangeDecoder decoder = new ChangeDecoder();

  private static String payload(String data, String old) {
    return "{\"seq\": 42, \"xid\": \"9931\", \"xmin\": \"9930\", \"ts\": \"2026-11-28T00:00:00Z\","
        + " \"schema\": \"public\", \"table\": \"items\", \"op\": \"UPDATE\", \"data\": "
        + data
        + ", \"old\": "
        + old
        + "}";
  }

  @Test
  void rowsAreCutOutVerbatim() throws IOException {
    String data =
        "{\"n\": 12345678901234567890.123456789, \"f\": 1.50, \"t\": \"a\\\"}\\u2028😀\"}";
    Change change = decoder.change(payload(data, "null"));
    assertThat(change.data().json()).isEqualTo(data);
    assertThat(change.old()).isNull();
    assertThat(change.seq()).isEqualTo(42);
    assertThat(change.xid()).isEqualTo(9931);
    assertThat(change.xmin()).isEqualTo(9930);
    assertThat(change.op()).isEqualTo(Change.Op.UPDATE);
    assertThat(change.table().channel()).isEqualTo("items");
  }

  @Test
  void columnsKeepNumbersExact() throws IOException {
    String big = "9".repeat(1000) + "." + "1".repeat(1000);
    Change change =
        decoder.change(payload("{\"n\": " + big + ", \"s\": 1.50}", "{\"n\": -0.0000001}"));
    assertThat(change.data().columns().get("n").decimalValue()).isEqualTo(new BigDecimal(big));
    assertThat(change.data().columns().get("s").decimalValue().toPlainString()).isEqualTo("1.50");
    assertThat(change.old().columns().get("n").decimalValue().toPlainString())
        .isEqualTo("-0.0000001");
  }

  @Test
  void deepNestingIsNoProblem() throws IOException {
    String deep = "[".repeat(10_000) + "]".repeat(10_000);
    String data = "{\"j\": " + deep + "}";
    Change change = decoder.change(payload(data, data));
    assertThat(change.data().json()).isEqualTo(data);
    assertThat(change.old().columns().get("j").isArray()).isTrue();
  }

  @Test
  void aReferenceCarriesTheSeqOnly() throws IOException {
    assertThat(decoder.read("{\"seq\": 7, \"ref\": true}"))
        .isEqualTo(new ChangeDecoder.Reference(7));
  }

  @Test
  void somethingElseIsRefusedWithAReason() {
    assertThatThrownBy(() -> decoder.read("[1]")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> decoder.change("{\"seq\": 1}"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("without op");
    assertThatThrownBy(() -> decoder.change(payload("{}", "null").replace("UPDATE", "MERGE")))
        .hasMessageContaining("unknown op");
  }
}
