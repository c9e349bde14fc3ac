package dev.plank.hub;

import dev.plank.capture.Change;
import java.util.Arrays;

/**
 * The encodings of the change being published, one per codec and {@link Shape} in use, made on
 * first demand: the hub's encode-once, per protocol and per shape, so every subscriber that
 * receives the same bytes shares one frame. Reused by every publish, so publishing allocates
 * nothing beyond the encoded bytes. Owned by the hub's context.
 */
final class EncodedChange {
  private ChangeCodec[] codecs = new ChangeCodec[2];
  private Shape[] shapes = new Shape[2];
  private byte[][] frames = new byte[2][];
  private int size;

  /** The change as {@code codec} encodes it, encoded once per publish. */
  byte[] frame(ChangeCodec codec, Change change) {
    return frame(codec, Shape.AS_IS, change, null);
  }

  /**
   * The change in {@code shape} as {@code codec} encodes it, encoded once per publish.
   *
   * @param subscription reshapes the change when {@code shape} is not {@link Shape#AS_IS}
   */
  byte[] frame(ChangeCodec codec, Shape shape, Change change, Subscription subscription) {
    for (int i = 0; i < size; i++) {
      if (codecs[i] == codec && shapes[i] == shape) return frames[i];
    }
    if (size == codecs.length) {
      codecs = Arrays.copyOf(codecs, size * 2);
      shapes = Arrays.copyOf(shapes, size * 2);
      frames = Arrays.copyOf(frames, size * 2);
    }
    byte[] frame =
        codec.change(shape == Shape.AS_IS ? change : subscription.reshape(change, shape));
    codecs[size] = codec;
    shapes[size] = shape;
    frames[size] = frame;
    size++;
    return frame;
  }

  /** Forgets this change's encodings: the next change is encoded afresh. */
  void clear() {
    Arrays.fill(codecs, 0, size, null);
    Arrays.fill(shapes, 0, size, null);
    Arrays.fill(frames, 0, size, null);
    size = 0;
  }
}
