package dev.plank.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.ConfigException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A role's broadcast and presence rights: for each {@link Action}, the topic patterns it may act
 * on. A pattern is the topic's text with {@code *} for any run of characters and {@code {claim}}
 * for the value of one of the token's claims ({@code room:*}, {@code user:{sub}}); {@code "*"}
 * alone allows every topic. Nothing is allowed that no pattern matches. Immutable.
 */
final class TopicRules {
  /** What a principal does with a topic. */
  enum Action {
    JOIN("join"),
    BROADCAST("broadcast"),
    PRESENCE("presence");

    final String key;

    Action(String key) {
      this.key = key;
    }
  }

  static final TopicRules NONE = new TopicRules(new EnumMap<>(Action.class));

  private final Map<Action, List<String>> patterns;

  private TopicRules(Map<Action, List<String>> patterns) {
    this.patterns = patterns;
  }

  static TopicRules parse(String setting, String role, JsonNode node) {
    if (node == null) return NONE;
    String where = setting + ": role '" + role + "', topics";
    if (!node.isObject()) {
      throw new ConfigException(
          where + " must be an object such as {\"join\": [\"room:*\"], \"broadcast\": \"*\"}");
    }
    Map<Action, List<String>> patterns = new EnumMap<>(Action.class);
    Set<String> allowed = Set.of("join", "broadcast", "presence");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (!allowed.contains(entry.getKey())) {
        throw new ConfigException(
            where + " has an unknown key '" + entry.getKey() + "' (allowed: " + allowed + ")");
      }
      Action action = Action.valueOf(entry.getKey().toUpperCase(java.util.Locale.ROOT));
      patterns.put(action, list(where + "." + entry.getKey(), entry.getValue()));
    }
    return new TopicRules(patterns);
  }

  private static List<String> list(String where, JsonNode value) {
    List<String> out = new ArrayList<>();
    if (value.isTextual()) {
      out.add(pattern(where, value));
    } else if (value.isArray()) {
      for (JsonNode item : value) out.add(pattern(where, item));
    } else {
      throw new ConfigException(where + " must be a topic pattern or a list of them");
    }
    return List.copyOf(out);
  }

  private static String pattern(String where, JsonNode item) {
    if (!item.isTextual() || item.textValue().isEmpty()) {
      throw new ConfigException(where + " must hold topic patterns such as \"room:*\"");
    }
    String p = item.textValue();
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c == '{') {
        int close = p.indexOf('}', i);
        if (close <= i + 1) {
          throw new ConfigException(where + " pattern '" + p + "' has an unclosed {claim}");
        }
        i = close;
      } else if (c == '}') {
        throw new ConfigException(where + " pattern '" + p + "' has a stray }");
      }
    }
    return p;
  }

  boolean allows(Action action, String topic, Map<String, Object> claims) {
    for (String pattern : patterns.getOrDefault(action, List.of())) {
      String bound = bind(pattern, claims);
      if (bound != null && Glob.matches(bound, topic)) return true;
    }
    return false;
  }

  /** The pattern with its claims filled in; null when a claim is missing or not a scalar. */
  private static String bind(String pattern, Map<String, Object> claims) {
    if (pattern.indexOf('{') < 0) return pattern;
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c != '{') {
        out.append(c);
        continue;
      }
      int close = pattern.indexOf('}', i);
      Object value = claims.get(pattern.substring(i + 1, close));
      if (!(value instanceof String) && !(value instanceof Number)) return null;
      String text = value.toString();
      // A claim's value is matched literally: a '*' in it must not widen the pattern.
      if (text.indexOf('*') >= 0) return null;
      out.append(text);
      i = close;
    }
    return out.toString();
  }

  /** {@code *} matches any run of characters; everything else matches itself. */
  static final class Glob {
    private Glob() {}

    static boolean matches(String pattern, String text) {
      int p = 0;
      int t = 0;
      int star = -1;
      int mark = 0;
      while (t < text.length()) {
        if (p < pattern.length()
            && pattern.charAt(p) != '*'
            && pattern.charAt(p) == text.charAt(t)) {
          p++;
          t++;
        } else if (p < pattern.length() && pattern.charAt(p) == '*') {
          star = p++;
          mark = t;
        } else if (star >= 0) {
          p = star + 1;
          t = ++mark;
        } else {
          return false;
        }
      }
      while (p < pattern.length() && pattern.charAt(p) == '*') p++;
      return p == pattern.length();
    }
  }
}
