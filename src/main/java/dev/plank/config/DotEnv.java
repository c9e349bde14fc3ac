package dev.plank.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A {@code .env} file: {@code NAME=value} lines, {@code #} comments, an optional {@code export},
 * optional single or double quotes. A line that is none of these stops start-up with a {@link
 * ConfigException} naming the file and the line: a setting that is silently skipped would leave
 * Plank running on a default the user did not ask for.
 *
 * @param file the file as it was named, for messages
 * @param lines the line number of each name, in file order
 */
public record DotEnv(String file, Map<String, String> values, Map<String, Integer> lines) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  public static DotEnv empty() {
    return new DotEnv(".env", Map.of(), Map.of());
  }

  /** The file's settings, or none when there is no such file. */
  public static DotEnv read(Path file) {
    if (!Files.isRegularFile(file)) return new DotEnv(file.toString(), Map.of(), Map.of());
    try {
      return parse(file.toString(), Files.readString(file));
    } catch (IOException e) {
      throw new ConfigException("cannot read " + file + ": " + e.getMessage());
    }
  }

  static DotEnv parse(String file, String text) {
    Map<String, String> values = new LinkedHashMap<>();
    Map<String, Integer> lines = new LinkedHashMap<>();
    String[] rawLines = text.split("\\R", -1);
    for (int i = 0; i < rawLines.length; i++) {
      String line = rawLines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      if (line.startsWith("export ")) line = line.substring(7).strip();
      String where = file + " line " + (i + 1) + ": ";
      int eq = line.indexOf('=');
      String name = eq < 0 ? "" : line.substring(0, eq).strip();
      if (!NAME.matcher(name).matches()) throw new ConfigException(where + malformed(line));
      values.put(name, value(line.substring(eq + 1).strip(), where + name));
      lines.put(name, i + 1);
    }
    return new DotEnv(
        file, Collections.unmodifiableMap(values), Collections.unmodifiableMap(lines));
  }

  /** What is wrong with a line that is not NAME=value; never the value, which may be a secret. */
  private static String malformed(String line) {
    String first = line.split("[\\s=]", 2)[0];
    if (line.indexOf('=') < 0) {
      return NAME.matcher(first).matches()
          ? "expected NAME=value, but there is no '=' after " + first
          : "expected NAME=value, but the line has no '='";
    }
    return "expected NAME=value, but the name before '=' is not a variable name";
  }

  private static String value(String raw, String where) {
    if (raw.startsWith("\"") || raw.startsWith("'")) {
      char quote = raw.charAt(0);
      int end = raw.indexOf(quote, 1);
      if (end < 0) {
        throw new ConfigException(where + ": the value's opening " + quote + " is never closed");
      }
      String rest = raw.substring(end + 1).strip();
      if (!rest.isEmpty() && !rest.startsWith("#")) {
        throw new ConfigException(
            where + ": unexpected text after the closing " + quote + " of the value");
      }
      return raw.substring(1, end);
    }
    int comment = raw.indexOf(" #");
    return comment >= 0 ? raw.substring(0, comment).strip() : raw;
  }
}
