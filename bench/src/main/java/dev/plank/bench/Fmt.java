package dev.plank.bench;

import java.util.Locale;

/** Number formatting for progress lines and result tables. */
final class Fmt {
  private Fmt() {}

  /** Milliseconds with precision that suits their size: 0.412, 12.3, 1520. */
  static String ms(double ms) {
    if (Double.isNaN(ms)) return "-";
    if (ms < 10) return String.format(Locale.ROOT, "%.3f", ms);
    if (ms < 100) return String.format(Locale.ROOT, "%.1f", ms);
    return String.format(Locale.ROOT, "%.0f", ms);
  }

  static String num(double v, int decimals) {
    if (Double.isNaN(v) || Double.isInfinite(v)) return "-";
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  static String mb(long bytes) {
    return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
  }

  static String kb(double bytes) {
    return Double.isNaN(bytes) ? "-" : String.format(Locale.ROOT, "%.1f", bytes / 1024.0);
  }

  /** "59870/60000 (99.78%)" */
  static String ratio(long got, long expected) {
    double pct = expected == 0 ? 100.0 : 100.0 * got / expected;
    return got + "/" + expected + " (" + num(pct, 2) + "%)";
  }

  /** a/b as "0.123x"; "-" when either is unknown or b is 0. */
  static String times(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) return "-";
    return String.format(Locale.ROOT, "%.3gx", a / b);
  }

  /** NaN and infinities become JSON null; other values are rounded to 6 significant digits. */
  static Double json(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) return null;
    if (v == 0) return 0.0;
    return Double.parseDouble(String.format(Locale.ROOT, "%.6g", v));
  }
}
