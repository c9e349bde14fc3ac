package dev.plank.bench;

import java.util.Locale;

/** Progress lines on stdout, stamped with the seconds since the scenario started. */
final class Progress {
  private final String scenario;
  private final long start = System.nanoTime();

  Progress(String scenario) {
    this.scenario = scenario;
  }

  void line(String format, Object... args) {
    double t = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        Locale.ROOT, "[%s %6.1fs] %s%n", scenario, t, String.format(Locale.ROOT, format, args));
    System.out.flush();
  }
}
