package dev.plank.auth;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.plank.config.ConfigException;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import dev.plank.hub.Filter;
import dev.plank.hub.FilterException;
import dev.plank.hub.FilterTemplate;
import dev.plank.hub.RowBound;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authorization as data ({@code PLANK_POLICY}): each role's read and write rules per channel,
 * evaluated in memory, never by a query per subscriber. A rule is every row, or a bound filter in
 * the subscribe filter language whose values may name token claims. Everything not granted is
 * denied: an unknown role, a missing or non-scalar claim, a rule naming a column the table lacks.
 *
 * <p>Immutable once loaded, apart from the set of warnings already logged; any thread may use it.
 */
public final class Policy {
  private static final Logger log = LoggerFactory.getLogger(Policy.class);
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /** One channel's rule for a role: {@code template} null means every row. */
  private record Rule(String role, String channel, FilterTemplate template) {}

  /** A role's rules for reading or writing: {@code every} for {@code "*"}. */
  private record Rules(boolean every, Map<String, Rule> channels) {
    static final Rules NONE = new Rules(false, Map.of());
  }

  private record Role(Rules read, Rules write, TopicRules topics) {}

  private final String roleClaim;
  private final Map<String, Role> roles;
  // Rules that name a column their table lacks, logged once each; concurrent: any thread binds.
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  private Policy(String roleClaim, Map<String, Role> roles) {
    this.roleClaim = roleClaim;
    this.roles = Map.copyOf(roles);
  }

  /**
   * Reads the policy file, refusing anything it does not understand with one line naming the role
   * and channel at fault.
   *
   * @param setting the variable that named the file, for the message
   */
  public static Policy load(String setting, Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString();
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
      throw new ConfigException(
          setting + ": YAML policies are not supported by this build; write " + file + " as JSON");
    }
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(setting + ": cannot read " + file + " (" + e.getMessage() + ")");
    }
    return parse(setting, text);
  }

  /** Parses a policy document; {@code setting} prefixes every error. */
  public static Policy parse(String setting, String text) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ConfigException(setting + ": not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException(setting + ": the policy must be a JSON object");
    }
    onlyKeys(setting, root, "the policy", Set.of("roleClaim", "roles"));
    JsonNode claim = root.path("roleClaim");
    String roleClaim = "role";
    if (!claim.isMissingNode()) {
      if (!claim.isTextual() || claim.textValue().isBlank()) {
        throw new ConfigException(setting + ": roleClaim must be a claim name");
      }
      roleClaim = claim.textValue();
    }
    JsonNode rolesNode = root.path("roles");
    if (!rolesNode.isObject()) {
      throw new ConfigException(setting + ": roles must be an object of role names");
    }
    Map<String, Role> roles = new HashMap<>();
    for (Map.Entry<String, JsonNode> entry : rolesNode.properties()) {
      String role = entry.getKey();
      JsonNode node = entry.getValue();
      if (!node.isObject()) {
        throw new ConfigException(setting + ": role '" + role + "' must be an object");
      }
      onlyKeys(setting, node, "role '" + role + "'", Set.of("read", "write", "topics"));
      roles.put(
          role,
          new Role(
              rules(setting, role, "read", node.get("read")),
              rules(setting, role, "write", node.get("write")),
              TopicRules.parse(setting, role, node.get("topics"))));
    }
    return new Policy(roleClaim, roles);
  }

  private static Rules rules(String setting, String role, String kind, JsonNode node) {
    if (node == null) return Rules.NONE;
    if (node.isTextual() && node.textValue().equals("*")) return new Rules(true, Map.of());
    String where = setting + ": role '" + role + "', " + kind;
    if (!node.isObject()) {
      throw new ConfigException(where + " must be \"*\" or an object of channels");
    }
    Map<String, Rule> channels = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String channel = channel(entry.getKey());
      JsonNode rule = entry.getValue();
      String at = where + " rule for '" + entry.getKey() + "'";
      if (channels.containsKey(channel)) throw new ConfigException(at + " repeats a channel");
      if (rule.isBoolean() && rule.booleanValue()) {
        channels.put(channel, new Rule(role, channel, null));
      } else if (rule.isTextual()) {
        try {
          channels.put(channel, new Rule(role, channel, FilterTemplate.parse(rule.textValue())));
        } catch (FilterException e) {
          throw new ConfigException(at + ": " + e.getMessage());
        }
      } else {
        throw new ConfigException(at + " must be true or a filter such as \"user_id=eq.{sub}\"");
      }
    }
    return new Rules(false, channels);
  }

  private static void onlyKeys(String setting, JsonNode node, String what, Set<String> allowed) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        throw new ConfigException(
            setting + ": " + what + " has an unknown key '" + key + "' (allowed: " + allowed + ")");
      }
    }
  }

  /** {@code orders} and {@code public.orders} are one channel. */
  private static String channel(String name) {
    return TableRef.parse(name).channel();
  }

  /** Whether a request without a token is served, as the role {@code anon}. */
  public boolean allowsAnonymous() {
    return roles.containsKey(Principal.ANONYMOUS_ROLE);
  }

  /**
   * The file's {@code roleClaim}: the claim the authentication layer reads a token's role from
   * (unless {@code PLANK_ROLE_CLAIM} overrides it).
   */
  public String roleClaim() {
    return roleClaim;
  }

  /**
   * The principal's role under this policy: {@code anon} for a caller without a token, else the
   * role the authentication layer read from the token's role claim; null (deny) when it has none.
   */
  public String roleOf(Principal principal) {
    if (principal == null) return null;
    if (principal.claims().isEmpty()) return Principal.ANONYMOUS_ROLE;
    return principal.role();
  }

  /** Whether the principal may read the channel at all (some rows, maybe none at run time). */
  public boolean mayRead(Principal principal, String channel) {
    return rule(principal, channel, true) != null;
  }

  /** Whether the principal may write the channel at all. */
  public boolean mayWrite(Principal principal, String channel) {
    return rule(principal, channel, false) != null;
  }

  /** Whether the principal may join the topic: receive its broadcasts and presence. */
  public boolean mayJoin(Principal principal, String topic) {
    return topics(principal, TopicRules.Action.JOIN, topic);
  }

  /** Whether the principal may send broadcasts to the topic. */
  public boolean mayBroadcast(Principal principal, String topic) {
    return topics(principal, TopicRules.Action.BROADCAST, topic);
  }

  /** Whether the principal may track its presence on the topic. */
  public boolean mayTrack(Principal principal, String topic) {
    return topics(principal, TopicRules.Action.PRESENCE, topic);
  }

  private boolean topics(Principal principal, TopicRules.Action action, String topic) {
    String name = roleOf(principal);
    Role role = name == null ? null : roles.get(name);
    return role != null && role.topics().allows(action, topic, principal.claims());
  }

  /** The rows of the channel the principal may read; {@link RowBound#NONE} when denied. */
  public RowBound read(Principal principal, String channel) {
    return bound(principal, rule(principal, channel, true));
  }

  /** The rows of the channel the principal may write (before and after); NONE when denied. */
  public RowBound write(Principal principal, String channel) {
    return bound(principal, rule(principal, channel, false));
  }

  private static final Rule EVERY_ROW = new Rule("", "", null);

  private Rule rule(Principal principal, String channel, boolean read) {
    String name = roleOf(principal);
    Role role = name == null ? null : roles.get(name);
    if (role == null) return null;
    Rules rules = read ? role.read() : role.write();
    if (rules.every()) return EVERY_ROW;
    return rules.channels().get(channel(channel));
  }

  private RowBound bound(Principal principal, Rule rule) {
    if (rule == null) return RowBound.NONE;
    if (rule.template() == null) return RowBound.ALL;
    Map<String, Object> claims = principal.claims();
    return table -> bind(rule, claims, table);
  }

  private Filter bind(Rule rule, Map<String, Object> claims, TableInfo table) {
    for (String column : rule.template().columns()) {
      if (!table.columns().containsKey(column)) {
        if (warned.add(rule.role() + "\u0000" + rule.channel() + "\u0000" + column)) {
          log.warn(
              "Policy: role '{}' on '{}' names column '{}', which the table lacks; denying",
              rule.role(),
              rule.channel(),
              column);
        }
        return null;
      }
    }
    try {
      return rule.template().bind(table, claims);
    } catch (FilterException e) {
      // A token without the claim, or with one of the wrong type; the value is not logged.
      log.debug("Policy: role '{}' on '{}' denies a token its claims", rule.role(), rule.channel());
      return null;
    }
  }
}
