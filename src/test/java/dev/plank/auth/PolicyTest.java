package dev.plank.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.config.ConfigException;
import dev.plank.db.ColumnType;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import dev.plank.hub.Filter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The policy file's rules, evaluated in memory: what each principal may read, failing closed. */
class PolicyTest {
  static final TableInfo ORDERS =
      new TableInfo(
          TableRef.parse("orders"),
          Map.of(
              "id", ColumnType.NUMBER,
              "user_id", ColumnType.TEXT,
              "tenant", ColumnType.NUMBER,
              "note", ColumnType.TEXT),
          List.of("id"));

  static final String POLICY =
      """
      {
        "roleClaim": "role",
        "roles": {
          "anon":          { "read": { "items": true } },
          "authenticated": { "read":  { "items": true, "orders": "user_id=eq.{sub}" },
                             "write": { "orders": "user_id=eq.{sub}" } },
          "tenant":        { "read": { "orders": "tenant=eq.{tid}&user_id=in.({sub},shared)" } },
          "broken":        { "read": { "orders": "owner=eq.{sub}" } },
          "service":       { "read": "*", "write": "*" }
        }
      }
      """;

  static final Policy policy = Policy.parse("PLANK_POLICY", POLICY);

  static Principal user(Object sub) {
    Map<String, Object> claims = new java.util.HashMap<>();
    claims.put("role", "authenticated");
    if (sub != null) claims.put("sub", sub);
    return new Principal("authenticated", claims, null);
  }

  static ObjectNode row(long id, String userId, long tenant) {
    return JsonNodeFactory.instance
        .objectNode()
        .put("id", id)
        .put("user_id", userId)
        .put("tenant", tenant)
        .put("note", "n");
  }

  /** The user ids of the rows the bound filter admits, out of a fixed set of candidate rows. */
  static List<String> admitted(Filter bound, String... userIds) {
    List<String> out = new ArrayList<>();
    long id = 1;
    for (String userId : userIds) {
      if (bound.matches(row(id++, userId, 7))) out.add(userId);
    }
    return out;
  }

  @Test
  void aBoundFilterAdmitsOnlyTheTokensOwnRows() {
    Filter bound = policy.read(user("alice"), "orders").on(ORDERS);
    assertThat(admitted(bound, "alice", "bob", "")).containsExactly("alice");
    assertThat(policy.read(user("alice"), "public.orders").on(ORDERS)).isNotNull();
    assertThat(policy.read(user("alice"), "items").on(ORDERS).isAll()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "bob&user_id=neq.x", // a second term
        "bob,alice)", // closing an in list
        "x&tenant=gt.0",
        "bob\"", // a quote
        "{sub}", // a placeholder in the claim is text, not another substitution
        "*",
      })
  void aClaimCannotChangeTheFiltersStructure(String sub) {
    Filter bound = policy.read(user(sub), "orders").on(ORDERS);
    assertThat(bound).isNotNull();
    // Only a row whose user_id is the claim's exact text matches; alice's and bob's do not.
    assertThat(admitted(bound, "alice", "bob", "x", sub)).containsExactly(sub);
    List<Object> params = new ArrayList<>();
    assertThat(bound.toSql(params)).doesNotContain(sub);
    assertThat(params).containsExactly(sub);
  }

  @Test
  void aClaimInsideAnInListStaysOneItem() {
    Principal p = new Principal("tenant", Map.of("role", "tenant", "sub", "a,b", "tid", 7), null);
    Filter bound = policy.read(p, "orders").on(ORDERS);
    assertThat(admitted(bound, "a", "b", "a,b", "shared")).containsExactly("a,b", "shared");
  }

  @Test
  void aMissingOrNonScalarClaimDenies() {
    assertThat(policy.read(user(null), "orders").on(ORDERS)).isNull();
    assertThat(policy.read(user(List.of("alice", "bob")), "orders").on(ORDERS)).isNull();
    assertThat(policy.read(user(Map.of("x", "alice")), "orders").on(ORDERS)).isNull();
    // A number claim where the column is a number works; a text claim there does not.
    Principal tenant =
        new Principal("tenant", Map.of("role", "tenant", "sub", "a", "tid", 7), null);
    assertThat(policy.read(tenant, "orders").on(ORDERS)).isNotNull();
    Principal wrong =
        new Principal("tenant", Map.of("role", "tenant", "sub", "a", "tid", "x"), null);
    assertThat(policy.read(wrong, "orders").on(ORDERS)).isNull();
  }

  @Test
  void anUnknownRoleOrAMissingRoleClaimOrAnUngrantedChannelDenies() {
    Principal stranger = new Principal("admin", Map.of("role", "admin", "sub", "alice"), null);
    assertThat(policy.read(stranger, "items").on(ORDERS)).isNull();
    assertThat(policy.mayRead(stranger, "items")).isFalse();
    Principal roleless = new Principal(null, Map.of("sub", "alice"), null);
    assertThat(policy.mayRead(roleless, "items")).isFalse();
    assertThat(policy.mayRead(user("alice"), "secrets")).isFalse();
    assertThat(policy.mayWrite(user("alice"), "items")).isFalse();
    assertThat(policy.mayWrite(user("alice"), "orders")).isTrue();
  }

  @Test
  void anonymousCallersGetTheAnonRoleOnlyWhenThePolicyHasOne() {
    assertThat(policy.allowsAnonymous()).isTrue();
    assertThat(policy.mayRead(Principal.anonymous(), "items")).isTrue();
    assertThat(policy.mayRead(Principal.anonymous(), "orders")).isFalse();
    Policy noAnon = Policy.parse("P", "{\"roles\":{\"service\":{\"read\":\"*\"}}}");
    assertThat(noAnon.allowsAnonymous()).isFalse();
    assertThat(noAnon.mayRead(Principal.anonymous(), "items")).isFalse();
  }

  @Test
  void starGrantsEveryChannelAndEveryRow() {
    Principal service = new Principal("service", Map.of("role", "service"), null);
    assertThat(policy.read(service, "anything").on(ORDERS).isAll()).isTrue();
    assertThat(policy.write(service, "orders").on(ORDERS).isAll()).isTrue();
  }

  @Test
  void aRuleNamingAColumnTheTableLacksDenies() {
    Principal broken = new Principal("broken", Map.of("role", "broken", "sub", "alice"), null);
    assertThat(policy.mayRead(broken, "orders")).isTrue();
    assertThat(policy.read(broken, "orders").on(ORDERS)).isNull();
  }

  @Test
  void theRoleClaimIsConfigurable() {
    assertThat(policy.roleClaim()).isEqualTo("role");
    Policy custom =
        Policy.parse(
            "P", "{\"roleClaim\":\"app_role\",\"roles\":{\"reader\":{\"read\":{\"items\":true}}}}");
    assertThat(custom.roleClaim()).isEqualTo("app_role");
    assertThat(custom.mayRead(new Principal("reader", Map.of("app_role", "reader"), null), "items"))
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"roles\":{\"r\":{\"read\":{\"orders\":\"user_id=zz.{sub}\"}}}}|role 'r', read rule for 'orders'",
        "{\"roles\":{\"r\":{\"write\":{\"orders\":\"user_id\"}}}}|role 'r', write rule for 'orders'",
        "{\"roles\":{\"r\":{\"read\":{\"orders\":\"user_id=eq.{sub\"}}}}|role 'r', read rule for 'orders'",
        "{\"roles\":{\"r\":{\"read\":{\"orders\":\"{col}=eq.1\"}}}}|role 'r', read rule for 'orders'",
        "{\"roles\":{\"r\":{\"read\":{\"orders\":false}}}}|role 'r', read rule for 'orders'",
        "{\"roles\":{\"r\":{\"read\":{\"orders\":\"\"}}}}|role 'r', read rule for 'orders'",
        "{\"roles\":{\"r\":{\"read\":\"all\"}}}|role 'r', read",
        "{\"roles\":{\"r\":{\"reed\":\"*\"}}}|role 'r' has an unknown key 'reed'",
        "{\"roles\":{},\"extra\":1}|unknown key 'extra'",
        "{\"roles\":{\"r\":{},\"r\":{}}}|not valid JSON",
        "{\"roles\":{\"r\":{}}} trailing|not valid JSON",
      })
  void aMalformedRuleRefusesToLoadWithOneLineNamingIt(String testCase) {
    int bar = testCase.lastIndexOf('|');
    String document = testCase.substring(0, bar);
    String expected = testCase.substring(bar + 1);
    assertThatThrownBy(() -> Policy.parse("PLANK_POLICY", document))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PLANK_POLICY: ")
        .hasMessageContaining(expected)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }
}
