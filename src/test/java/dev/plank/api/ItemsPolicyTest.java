package dev.plank.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.auth.TestTokens;
import dev.plank.support.TestPlank;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /api/items under a policy: reads filtered, writes inside the writer's bound or 403. */
class ItemsPolicyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  static final String POLICY =
      """
      {
        "roles": {
          "anon":          { "read": { "items": "name=eq.public" } },
          "authenticated": { "read": { "items": "name=eq.{sub}" },
                             "write": { "items": "name=eq.{sub}" } },
          "reader":        { "read": { "items": true } }
        }
      }
      """;

  static TestPlank plank;
  static final String ALICE = TestTokens.user("alice");

  @BeforeAll
  static void start() throws IOException {
    plank = TestPlank.start(ItemsPolicyTest.class, settings(POLICY));
  }

  static Map<String, String> settings(String policy) throws IOException {
    Path file = Files.createTempFile("plank-policy", ".json");
    Files.writeString(file, policy);
    file.toFile().deleteOnExit();
    return Map.of("PLANK_POLICY", file.toString(), "PLANK_JWT_SECRET", TestTokens.SECRET);
  }

  @AfterAll
  static void stop() {
    if (plank != null) plank.close();
  }

  @BeforeEach
  void rows() {
    plank
        .db()
        .execute(
            // Without the TRUNCATE trigger: its resync would reach the next test's subscriber.
            "SET session_replication_role = replica; TRUNCATE items RESTART IDENTITY");
    plank
        .db()
        .execute("INSERT INTO items(name, value) VALUES ('alice', 1), ('bob', 2), ('public', 3)");
  }

  static long idOf(String name) {
    return (Long) plank.db().query("SELECT id FROM items WHERE name = ?", name).get(0).get("id");
  }

  static HttpResponse<String> send(
      TestPlank node, String token, String method, String path, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (body != null) request.header("Content-Type", "application/json");
    if (token != null) request.header("Authorization", "Bearer " + token);
    return HTTP.send(request.build(), BodyHandlers.ofString());
  }

  static HttpResponse<String> send(String token, String method, String path, String body)
      throws Exception {
    return send(plank, token, method, path, body);
  }

  static List<String> names(String body) throws IOException {
    List<String> names = new ArrayList<>();
    JSON.readTree(body).forEach(item -> names.add(item.path("name").asText()));
    return names;
  }

  static void assertProblem(HttpResponse<String> response, int status) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(JSON.readTree(response.body()).path("status").asInt()).isEqualTo(status);
  }

  List<String> table() {
    List<String> rows = new ArrayList<>();
    plank
        .db()
        .query("SELECT name, value FROM items ORDER BY id")
        .forEach(r -> rows.add(r.get("name") + "=" + r.get("value")));
    return rows;
  }

  @Test
  void aListHoldsOnlyTheRowsTheTokenMayRead() throws Exception {
    assertThat(names(send(ALICE, "GET", "/api/items", null).body())).containsExactly("alice");
    assertThat(names(send(ALICE, "GET", "/api/items?since=2000-01-01T00:00:00Z", null).body()))
        .containsExactly("alice");
    assertThat(names(send(null, "GET", "/api/items", null).body())).containsExactly("public");
    String reader = TestTokens.token(Map.of("role", "reader"));
    assertThat(names(send(reader, "GET", "/api/items", null).body()))
        .containsExactly("alice", "bob", "public");
  }

  @Test
  void anotherUsersRowByIdIsNotFound() throws Exception {
    assertProblem(send(ALICE, "GET", "/api/items/" + idOf("bob"), null), 404);
    HttpResponse<String> own = send(ALICE, "GET", "/api/items/" + idOf("alice"), null);
    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(own.body()).path("name").asText()).isEqualTo("alice");
  }

  @Test
  void writesOutsideTheWritersBoundAreForbiddenAndChangeNothing() throws Exception {
    List<String> before = table();
    long bob = idOf("bob");
    long alice = idOf("alice");
    assertProblem(send(ALICE, "POST", "/api/items", "{\"name\":\"bob\",\"value\":9}"), 403);
    assertProblem(send(ALICE, "PUT", "/api/items/" + bob, "{\"name\":\"alice\",\"value\":9}"), 403);
    assertProblem(send(ALICE, "PATCH", "/api/items/" + bob, "{\"value\":9}"), 403);
    assertProblem(send(ALICE, "DELETE", "/api/items/" + bob, null), 403);
    // Inside before, outside after: the row it would become is checked too.
    assertProblem(send(ALICE, "PATCH", "/api/items/" + alice, "{\"name\":\"bob\"}"), 403);
    assertProblem(send(ALICE, "PUT", "/api/items/" + alice, "{\"name\":\"bob\",\"value\":1}"), 403);
    assertThat(table()).isEqualTo(before);
  }

  @Test
  void writesInsideTheWritersBoundSucceed() throws Exception {
    HttpResponse<String> created =
        send(ALICE, "POST", "/api/items", "{\"name\":\"alice\",\"value\":7}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    long alice = idOf("alice");
    assertThat(send(ALICE, "PATCH", "/api/items/" + alice, "{\"value\":5}").statusCode())
        .isEqualTo(200);
    assertThat(send(ALICE, "DELETE", "/api/items/" + alice, null).statusCode()).isEqualTo(204);
    assertThat(table()).containsExactly("bob=2", "public=3", "alice=7");
  }

  @Test
  void aTokenWithoutAWriteGrantOrWithoutTheRulesClaimIsForbidden() throws Exception {
    String reader = TestTokens.token(Map.of("role", "reader"));
    assertProblem(send(reader, "POST", "/api/items", "{\"name\":\"x\",\"value\":1}"), 403);
    assertProblem(send(reader, "DELETE", "/api/items/" + idOf("bob"), null), 403);
    assertProblem(send(null, "POST", "/api/items", "{\"name\":\"public\",\"value\":1}"), 403);
    String noSub = TestTokens.token(Map.of("role", "authenticated"));
    assertProblem(send(noSub, "GET", "/api/items", null), 403);
    String stranger = TestTokens.token(Map.of("role", "admin", "sub", "alice"));
    assertProblem(send(stranger, "GET", "/api/items", null), 403);
    assertThat(table()).containsExactly("alice=1", "bob=2", "public=3");
  }

  @Test
  void withoutAnAnonRoleARequestWithoutATokenIsUnauthorized() throws Exception {
    String noAnon = "{\"roles\":{\"reader\":{\"read\":{\"items\":true}}}}";
    try (TestPlank strict = TestPlank.start(ItemsPolicyTest.class, settings(noAnon))) {
      assertProblem(send(strict, null, "GET", "/api/items", null), 401);
      assertProblem(send(strict, null, "GET", "/api/items/1", null), 401);
      String reader = TestTokens.token(Map.of("role", "reader"));
      assertThat(send(strict, reader, "GET", "/api/items", null).statusCode()).isEqualTo(200);
    }
  }
}
