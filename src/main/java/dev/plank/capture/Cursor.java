package dev.plank.capture;

/**
 * A position in the change log, {@code <seq>.<snapshot_xmin>}, made of database values only so that
 * it works on any node. Resuming from it means every change with {@code seq > S} or {@code xid >=
 * X}: a transaction still open when change S was written may commit later with a smaller seq, and
 * its xid is then at least X.
 */
public record Cursor(long seq, long xmin) {
  private static final int MAX_LENGTH = 41;

  /** Parses a cursor a client sent back; throws {@link IllegalArgumentException} when malformed. */
  public static Cursor parse(String text) {
    int dot = text.indexOf('.');
    if (text.length() > MAX_LENGTH || dot <= 0 || dot != text.lastIndexOf('.')) {
      throw new IllegalArgumentException("malformed");
    }
    long seq = digits(text.substring(0, dot));
    long xmin = digits(text.substring(dot + 1));
    return new Cursor(seq, xmin);
  }

  private static long digits(String part) {
    if (part.isEmpty() || part.length() > 19 || !part.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException("malformed");
    }
    return Long.parseLong(part);
  }

  @Override
  public String toString() {
    return seq + "." + xmin;
  }
}
