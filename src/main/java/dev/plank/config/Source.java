package dev.plank.config;

import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * The merged raw values, with parsers that turn a bad one into one {@link ConfigException} line.
 */
record Source(Map<String, String> values) {
  <T> T get(String name, String fallback, Function<String, T> parse) {
    String raw = values.getOrDefault(name, fallback);
    return raw == null ? null : parse.apply(raw);
  }

  /** {@code 500ms}, {@code 30s}, {@code 15m}, {@code 24h} or {@code 7d}. */
  Duration duration(String name, String fallback, Duration min) {
    return get(
        name,
        fallback,
        v -> {
          Duration d = Durations.parse(v.strip());
          if (d == null || d.compareTo(min) < 0) {
            throw new ConfigException(
                name
                    + " must be a duration such as 500ms, 30s, 15m, 24h or 7d, at least "
                    + Durations.format(min)
                    + " (got '"
                    + v
                    + "')");
          }
          return d;
        });
  }

  int integer(String name, int fallback, int min, int max) {
    return get(
        name,
        Integer.toString(fallback),
        v -> {
          try {
            int n = Integer.parseInt(v.strip());
            if (n < min || n > max) throw new NumberFormatException();
            return n;
          } catch (NumberFormatException e) {
            throw new ConfigException(
                name + " must be a whole number from " + min + " to " + max + " (got '" + v + "')");
          }
        });
  }
}
