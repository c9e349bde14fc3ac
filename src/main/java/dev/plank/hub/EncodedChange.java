package dev.plank.hub;

import dev.plank.capture.Change;
import java.util.Arrays;

/**
 * The encodings of the change being published, one per codec in use, made on first demand: the
 * hub's encode-once, per protocol. Reused by every publish, so publishing allocates nothing beyond
 * the encoded bytes. Owned by the hub's context.
 */
final class EncodedChange {
  private ChangeCodec[] codecs = new ChangeCodec[2];
  private byte[][] frames = new byte[2][];
  private int size;

  /** The change as {@code codec} encodes it, encoded once per publish. */
  byte[] frame(ChangeCodec codec, Change change) {
    for (int i = 0; i < size; i++) {
      if (codecs[i] == codec) return frames[i];
    }
    if (size == codecs.length) {
      codecs = Arrays.copyOf(codecs, size * 2);
      frames = Arrays.copyOf(frames, size * 2);
    }
    byte[] frame = codec.change(change);
    codecs[size] = codec;
    frames[size] = frame;
    size++;
    return frame;
  }

  /** Forgets this change's encodings: the next change is encoded afresh. */
  void clear() {
    Arrays.fill(codecs, 0, size, null);
    Arrays.fill(frames, 0, size, null);
    size = 0;
  }
}
