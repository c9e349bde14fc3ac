package dev.plank.capture;

/**
 * An opaque resume position handed to clients as a cursor: {@code <seq>.<xmin>}, or {@code
 * <epoch>:<seq>.<xmin>} for a history with an epoch of its own. Made of database values only, so
 * that it works on any node. Resuming from it means every change with {@code seq > S} or {@code xid
 * >= X}: a transaction still open when change S was written may commit later with a smaller seq,
 * and its xid is then at least X.
 *
 * <p>The epoch names the history the position belongs to. A history treats a position of another
 * epoch as expired (the client reloads), never as a place to resume from: seqs of two histories say
 * nothing about each other.
 *
 * @param epoch {@link #UNTAGGED} for the trigger log, whose cursors have never carried one
 */
public record Position(String epoch, long seq, long xmin) {
  /** The epoch of a cursor without one: the trigger log's, so today's cursors keep working. */
  public static final String UNTAGGED = "";

  private static final int MAX_EPOCH = 16;
  private static final int MAX_NUMBER = 19; // digits of Long.MAX_VALUE

  public Position {
    if (!UNTAGGED.equals(epoch) && !isEpoch(epoch)) {
      throw new IllegalArgumentException("malformed epoch");
    }
    if (seq < 0 || xmin < 0) throw new IllegalArgumentException("negative position");
  }

  /** A position in the trigger log. */
  public static Position untagged(long seq, long xmin) {
    return new Position(UNTAGGED, seq, xmin);
  }

  /**
   * Parses a cursor a client sent back: ASCII digits only, no sign, no spaces, each number within a
   * {@code long}; throws {@link IllegalArgumentException} when malformed.
   */
  public static Position parse(String text) {
    int colon = text.indexOf(':');
    String epoch = colon < 0 ? UNTAGGED : text.substring(0, colon);
    if (colon >= 0 && !isEpoch(epoch)) throw new IllegalArgumentException("malformed");
    String numbers = text.substring(colon + 1);
    int dot = numbers.indexOf('.');
    if (dot <= 0 || dot != numbers.lastIndexOf('.'))
      throw new IllegalArgumentException("malformed");
    return new Position(
        epoch, number(numbers.substring(0, dot)), number(numbers.substring(dot + 1)));
  }

  private static boolean isEpoch(String epoch) {
    if (epoch.isEmpty() || epoch.length() > MAX_EPOCH) return false;
    for (int i = 0; i < epoch.length(); i++) {
      char c = epoch.charAt(i);
      if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9')) return false;
    }
    return true;
  }

  private static long number(String part) {
    if (part.isEmpty() || part.length() > MAX_NUMBER)
      throw new IllegalArgumentException("malformed");
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      if (c < '0' || c > '9') throw new IllegalArgumentException("malformed");
    }
    try {
      return Long.parseLong(part);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("out of range", e);
    }
  }

  @Override
  public String toString() {
    String numbers = seq + "." + xmin;
    return epoch.isEmpty() ? numbers : epoch + ":" + numbers;
  }
}
