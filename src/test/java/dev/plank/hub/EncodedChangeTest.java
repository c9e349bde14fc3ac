package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.capture.Change;
import dev.plank.db.TableRef;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Encode once per protocol: every subscriber of a codec gets the same bytes for a change. */
class EncodedChangeTest {
  private final Change first = change(1);
  private final Change second = change(2);

  @Test
  void eachCodecEncodesAChangeOnceAndSharesTheBytes() {
    CountingCodec v1 = new CountingCodec("v1");
    CountingCodec other = new CountingCodec("other");
    EncodedChange encoded = new EncodedChange();
    byte[] a = encoded.frame(v1, first);
    byte[] b = encoded.frame(other, first);
    for (int i = 0; i < 1000; i++) {
      assertThat(encoded.frame(v1, first)).isSameAs(a);
      assertThat(encoded.frame(other, first)).isSameAs(b);
    }
    assertThat(v1.calls).hasValue(1);
    assertThat(other.calls).hasValue(1);
    assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("other:1");
  }

  @Test
  void codecsAreToldApartByIdentityEvenWhenEqualAndManyAreInUse() {
    EncodedChange encoded = new EncodedChange();
    CountingCodec[] codecs = new CountingCodec[5];
    for (int i = 0; i < codecs.length; i++) codecs[i] = new CountingCodec("same");
    for (int round = 0; round < 3; round++) {
      for (CountingCodec codec : codecs) encoded.frame(codec, first);
    }
    for (CountingCodec codec : codecs) assertThat(codec.calls).hasValue(1);
  }

  @Test
  void theNextChangeIsEncodedAfresh() {
    CountingCodec v1 = new CountingCodec("v1");
    EncodedChange encoded = new EncodedChange();
    assertThat(new String(encoded.frame(v1, first), StandardCharsets.UTF_8)).isEqualTo("v1:1");
    encoded.clear();
    assertThat(new String(encoded.frame(v1, second), StandardCharsets.UTF_8)).isEqualTo("v1:2");
    assertThat(v1.calls).hasValue(2);
  }

  private static final class CountingCodec implements ChangeCodec {
    final String name;
    final AtomicInteger calls = new AtomicInteger();

    CountingCodec(String name) {
      this.name = name;
    }

    @Override
    public byte[] change(Change change) {
      calls.incrementAndGet();
      return (name + ":" + change.seq()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof CountingCodec c && c.name.equals(name);
    }

    @Override
    public int hashCode() {
      return name.hashCode();
    }
  }

  private static Change change(long seq) {
    return new Change(
        seq,
        100,
        100,
        "2026-01-01T00:00:00Z",
        new TableRef("public", "items"),
        Change.Op.INSERT,
        null,
        null);
  }
}
