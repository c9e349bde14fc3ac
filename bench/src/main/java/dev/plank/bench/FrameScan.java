package dev.plank.bench;

/**
 * Finds values in JSON text without parsing it. The load generator shares the machine's cores with
 * Plank and PostgreSQL, so each received message costs a few {@code indexOf}s instead of a full
 * parse. This is reliable here because the bench writes the rows itself: the string values it looks
 * for (names like {@code b:<run>:<n>}, timestamps) contain no quotes or escapes, and Plank's frames
 * put {@code data} before {@code old}, so the first {@code "name"} key is the new row's. Both
 * Jackson's compact output ({@code "k":v}) and PostgreSQL's jsonb text ({@code "k": v}) are
 * understood.
 */
final class FrameScan {
  private FrameScan() {}

  /**
   * Index of the first character of the value of the first {@code "key"} member at or after {@code
   * from}, or -1.
   */
  static int valueOf(String json, String key, int from) {
    String quoted = '"' + key + '"';
    int at = from;
    while ((at = json.indexOf(quoted, at)) >= 0) {
      int i = skipSpaces(json, at + quoted.length());
      if (i < json.length() && json.charAt(i) == ':') return skipSpaces(json, i + 1);
      at += quoted.length(); // the key text appeared as a value: keep looking
    }
    return -1;
  }

  /** The non-negative integer starting at {@code at}, or -1 when there is none. */
  static long longAt(String s, int at) {
    if (at < 0 || at >= s.length()) return -1;
    long v = 0;
    int i = at;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') break;
      v = v * 10 + (c - '0');
      i++;
    }
    return i == at ? -1 : v;
  }

  /** The contents of the string literal whose opening quote is at {@code at}, or null. */
  static String stringAt(String s, int at) {
    if (at < 0 || at >= s.length() || s.charAt(at) != '"') return null;
    int end = s.indexOf('"', at + 1);
    return end < 0 ? null : s.substring(at + 1, end);
  }

  /**
   * The bench change number n of a row named {@code <prefix><n>} whose name value starts at {@code
   * at} (at its opening quote), or -1 when the name is not one of this run's.
   */
  static int benchId(String s, int at, String prefix) {
    if (at < 0 || !s.startsWith(prefix, at + 1)) return -1;
    long n = longAt(s, at + 1 + prefix.length());
    return n < 0 || n > Integer.MAX_VALUE ? -1 : (int) n;
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && s.charAt(i) == ' ') i++;
    return i;
  }
}
