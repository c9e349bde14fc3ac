package dev.plank.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds {@code PLANK_*} names that Plank does not know, in {@code .env} and in the environment, so
 * that a misspelling ({@code PLANK_PROT}) is reported instead of silently leaving the default.
 */
public final class UnknownSettings {
  /** PLANK_ names read by the repository's other tools (tests, client, dashboard, benchmark). */
  private static final Set<String> OTHER_TOOLS =
      Set.of(
          "PLANK_TEST_DATABASE_URL",
          "PLANK_URL",
          "PLANK_REQUIRE",
          "PLANK_BACKEND",
          "PLANK_BENCH_PORT");

  private UnknownSettings() {}

  /** One warning line per unknown name, with the closest known name when one is close. */
  public static List<String> warnings(DotEnv dotEnv, Map<String, String> env) {
    List<String> warnings = new ArrayList<>();
    for (String name : dotEnv.values().keySet()) {
      if (isUnknown(name)) {
        warnings.add(
            dotEnv.file()
                + " line "
                + dotEnv.lines().get(name)
                + ": "
                + name
                + " is not a Plank setting"
                + suggestion(name)
                + "; ignored");
      }
    }
    for (String name : new TreeSet<>(env.keySet())) {
      if (isUnknown(name)) {
        warnings.add(
            "environment variable "
                + name
                + " is not a Plank setting"
                + suggestion(name)
                + "; ignored");
      }
    }
    return warnings;
  }

  private static boolean isUnknown(String name) {
    return name.startsWith("PLANK_")
        && !Settings.ALL_NAMES.contains(name)
        && !OTHER_TOOLS.contains(name);
  }

  private static String suggestion(String name) {
    return Settings.ALL_NAMES.stream()
        .min(Comparator.comparingInt(known -> distance(name, known)))
        .filter(known -> distance(name, known) <= 3)
        .map(known -> " (did you mean " + known + "?)")
        .orElse("");
  }

  /** Edits (insert, delete, substitute, swap two neighbours) that turn a into b. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) d[i][0] = i;
    for (int j = 0; j <= b.length(); j++) d[0][j] = j;
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
