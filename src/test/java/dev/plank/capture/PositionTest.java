package dev.plank.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Cursors as clients send them back: today's text unchanged, anything else refused. */
class PositionTest {

  @Test
  void todaysCursorParsesUntaggedAndPrintsTheSame() {
    Position position = Position.parse("1043.9931");
    assertThat(position).isEqualTo(new Position(Position.UNTAGGED, 1043, 9931));
    assertThat(position.toString()).isEqualTo("1043.9931");
    assertThat(Position.parse("0.0").toString()).isEqualTo("0.0");
  }

  @Test
  void aTaggedCursorCarriesItsEpoch() {
    Position position = Position.parse("wal2:17.40");
    assertThat(position.epoch()).isEqualTo("wal2");
    assertThat(position.seq()).isEqualTo(17);
    assertThat(position.xmin()).isEqualTo(40);
    assertThat(position.toString()).isEqualTo("wal2:17.40");
    assertThat(Position.parse("abcdefghij012345:1.2").epoch()).hasSize(16);
  }

  @Test
  void theLargestNumbersFit() {
    Position position = Position.parse("9223372036854775807.9223372036854775807");
    assertThat(position.seq()).isEqualTo(Long.MAX_VALUE);
    assertThat(position.xmin()).isEqualTo(Long.MAX_VALUE);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "9223372036854775808.1",
        "1.9223372036854775808",
        "99999999999999999999.1",
        "1.00000000000000000001"
      })
  void numbersBeyondALongAreRefused(String text) {
    assertThatThrownBy(() -> Position.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ".",
        "1",
        "1.",
        ".1",
        "1..2",
        "1.2.3",
        "a.b",
        "+1.2",
        "-1.2",
        "1.-2",
        " 1.2",
        "1.2 ",
        "1 .2",
        "0x1.2",
        "1e3.2",
        "\u0661.\u0662", // Arabic-Indic digits: Character.isDigit says yes, a cursor says no
        ":1.2",
        "ABC:1.2",
        "a_b:1.2",
        "a-b:1.2",
        "abcdefghij0123456:1.2",
        "a:b:1.2",
        "a:",
        "a:1",
        "é:1.2"
      })
  void malformedCursorsAreRefused(String text) {
    assertThatThrownBy(() -> Position.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
