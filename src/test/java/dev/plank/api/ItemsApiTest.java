package dev.plank.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The REST API over real sockets against a real PostgreSQL, through a whole Plank node. */
class ItemsApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(ItemsApiTest.class);
  }

  @AfterAll
  static void stop() {
    if (plank != null) plank.close();
  }

  @BeforeEach
  void emptyTable() {
    plank
        .db()
        .execute(
            // Without the TRUNCATE trigger: its resync would reach the next test's subscriber.
            "SET session_replication_role = replica; TRUNCATE public.items RESTART IDENTITY");
  }

  // ---- happy paths -------------------------------------------------------------------------

  @Test
  void postCreatesTheItemAndAnswersTheStoredRow() throws Exception {
    HttpResponse<String> response = send("POST", "/api/items", "{\"name\":\"apple\",\"value\":5}");

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode item = JSON.readTree(response.body());
    long id = item.get("id").asLong();
    assertThat(response.headers().firstValue("Location")).hasValue("/api/items/" + id);
    assertThat(fieldNames(item))
        .containsExactlyInAnyOrder("id", "name", "value", "created_at", "updated_at");
    assertThat(item.get("name").textValue()).isEqualTo("apple");
    assertThat(item.get("value").intValue()).isEqualTo(5);
    assertThat(item.get("created_at").textValue()).isEqualTo(item.get("updated_at").textValue());
    // Exactly what PostgreSQL renders, which is also what the capture trigger broadcasts.
    assertThat(item).isEqualTo(rowJson(id));
    assertThat(response.body()).isEqualTo(rowText(id));

    HttpResponse<String> fetched = send("GET", "/api/items/" + id, null);
    assertThat(fetched.statusCode()).isEqualTo(200);
    assertThat(fetched.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(fetched.body()).isEqualTo(response.body());
  }

  @Test
  void postWithoutValueStoresNullAndIgnoresUnknownFields() throws Exception {
    JsonNode item = created("{\"name\":\"pear\",\"colour\":\"green\",\"id\":999}");

    assertThat(item.get("value").isNull()).isTrue();
    assertThat(item.has("colour")).isFalse();
    assertThat(item.get("id").asLong()).isNotEqualTo(999); // the client does not pick ids
    assertThat(plank.db().count("SELECT count(*) FROM public.items")).isEqualTo(1);
  }

  @Test
  void postAcceptsTheBoundaries() throws Exception {
    String longest = "x".repeat(200);
    assertThat(created(body(longest, 2147483647)).get("value").intValue()).isEqualTo(2147483647);
    assertThat(created(body("m", -2147483648)).get("value").intValue()).isEqualTo(-2147483648);
    // 200 characters even though each takes two UTF-16 units and four UTF-8 bytes.
    String emoji = "\uD83D\uDE00".repeat(200);
    assertThat(created(body(emoji, null)).get("name").textValue()).isEqualTo(emoji);
    // An explicit Content-Type with parameters is JSON too.
    HttpResponse<String> withCharset =
        send("POST", "/api/items", "{\"name\":\"c\"}", "application/json; charset=utf-8");
    assertThat(withCharset.statusCode()).isEqualTo(201);
  }

  @Test
  void listIsOrderedByIdAndPaged() throws Exception {
    List<JsonNode> items = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) items.add(created(body(name, 1)));

    assertThat(list("")).isEqualTo(JSON.valueToTree(items));
    assertThat(list("?limit=2")).isEqualTo(JSON.valueToTree(items.subList(0, 2)));
    assertThat(list("?limit=2&offset=2")).isEqualTo(JSON.valueToTree(items.subList(2, 3)));
    assertThat(list("?offset=3").isArray()).isTrue();
    assertThat(list("?offset=3")).isEmpty();
    assertThat(list("?limit=1000")).hasSize(3);
  }

  @Test
  void listOfAnEmptyTableIsAnEmptyArray() throws Exception {
    HttpResponse<String> response = send("GET", "/api/items", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(response.body()).isEqualTo("[]");
  }

  @Test
  void listReturnsFiftyByDefault() throws Exception {
    plank
        .db()
        .execute("INSERT INTO public.items (name) SELECT 'n' || g FROM generate_series(1, 60) g");

    JsonNode page = list("");
    assertThat(page).hasSize(50);
    assertThat(page.get(0).get("id").asLong()).isEqualTo(1);
    assertThat(page.get(49).get("id").asLong()).isEqualTo(50);
  }

  @Test
  void listSinceReturnsOnlyItemsUpdatedAfterIt() throws Exception {
    JsonNode old = created(body("old", 1));
    plank
        .db()
        .execute(
            "UPDATE public.items SET updated_at = '2020-01-01T00:00:00Z' WHERE id = ?",
            old.get("id").asLong());
    JsonNode fresh = created(body("fresh", 2));

    assertThat(list("?since=2021-01-01T00:00:00Z")).containsExactly(fresh);
    assertThat(list("?since=2019-12-31T23:00:00Z")).hasSize(2);
    // The updated_at of the newest item itself: strictly after, so nothing.
    String newest = fresh.get("updated_at").textValue();
    assertThat(list("?since=" + URLEncoder.encode(newest, StandardCharsets.UTF_8))).isEmpty();
    // An offset written with an unencoded '+' (which decodes to a space) still parses.
    assertThat(list("?since=2021-01-01T01:00:00+01:00")).containsExactly(fresh);
    assertThat(list("?since=2021-01-01T01:00:00%2B01:00&limit=1")).containsExactly(fresh);
  }

  @Test
  void putReplacesEveryField() throws Exception {
    JsonNode before = created(body("apple", 5));
    long id = before.get("id").asLong();

    HttpResponse<String> response = send("PUT", "/api/items/" + id, "{\"name\":\"banana\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode after = JSON.readTree(response.body());
    assertThat(after.get("id").asLong()).isEqualTo(id);
    assertThat(after.get("name").textValue()).isEqualTo("banana");
    assertThat(after.get("value").isNull()).as("absent value replaced by null").isTrue();
    assertThat(after.get("created_at")).isEqualTo(before.get("created_at"));
    assertThat(timestamp(after, "updated_at")).isAfter(timestamp(before, "updated_at"));
    assertThat(after).isEqualTo(rowJson(id));
  }

  @Test
  void patchWritesOnlyTheFieldsGiven() throws Exception {
    JsonNode item = created(body("apple", 5));
    long id = item.get("id").asLong();

    JsonNode valued = patched(id, "{\"value\":7}");
    assertThat(valued.get("name").textValue()).isEqualTo("apple");
    assertThat(valued.get("value").intValue()).isEqualTo(7);
    assertThat(timestamp(valued, "updated_at")).isAfter(timestamp(item, "updated_at"));

    JsonNode renamed = patched(id, "{\"name\":\"cherry\"}");
    assertThat(renamed.get("name").textValue()).isEqualTo("cherry");
    assertThat(renamed.get("value").intValue()).isEqualTo(7);

    JsonNode cleared = patched(id, "{\"value\":null}");
    assertThat(cleared.get("name").textValue()).isEqualTo("cherry");
    assertThat(cleared.get("value").isNull()).isTrue();
    assertThat(cleared).isEqualTo(rowJson(id));
  }

  @Test
  void emptyPatchWritesNothingAndAnswersTheItem() throws Exception {
    JsonNode item = created(body("apple", 5));
    long id = item.get("id").asLong();
    long changes = plank.db().count("SELECT count(*) FROM plank.changes");

    assertThat(patched(id, "{}")).isEqualTo(item);
    assertThat(patched(id, "{\"unknown\":1}")).isEqualTo(item);
    assertThat(plank.db().count("SELECT count(*) FROM plank.changes")).isEqualTo(changes);
  }

  @Test
  void deleteRemovesTheItem() throws Exception {
    long id = created(body("apple", 5)).get("id").asLong();

    HttpResponse<String> response = send("DELETE", "/api/items/" + id, null);

    assertThat(response.statusCode()).isEqualTo(204);
    assertThat(response.body()).isEmpty();
    assertThat(plank.db().count("SELECT count(*) FROM public.items")).isZero();
    assertProblem(send("GET", "/api/items/" + id, null), 404);
    assertProblem(send("DELETE", "/api/items/" + id, null), 404);
  }

  // ---- validation --------------------------------------------------------------------------

  @Test
  void everyInvalidFieldIsListed() throws Exception {
    JsonNode problem =
        assertProblem(send("POST", "/api/items", "{\"name\":\"\",\"value\":\"5\"}"), 422);

    assertThat(problem.get("title").textValue()).isEqualTo("Unprocessable Entity");
    assertThat(errorFields(problem)).containsExactly("name", "value");
    assertThat(problem.get("detail").textValue()).contains("name").contains("value");
    for (JsonNode error : problem.get("errors")) {
      assertThat(error.get("message").textValue()).isNotBlank();
    }

    JsonNode missing = assertProblem(send("POST", "/api/items", "{\"value\":1.5}"), 422);
    assertThat(errorFields(missing)).containsExactly("name", "value");
    assertThat(missing.get("errors").get(0).get("message").textValue()).contains("required");
  }

  static Stream<Arguments> invalidBodies() {
    return Stream.of(
        Arguments.of("{\"name\":\"" + "x".repeat(201) + "\"}", "name"),
        Arguments.of("{\"name\":\"\"}", "name"),
        Arguments.of("{\"name\":null}", "name"),
        Arguments.of("{\"name\":5}", "name"),
        Arguments.of("{\"name\":[\"a\"]}", "name"),
        Arguments.of("{\"name\":\"a\\u0000b\"}", "name"),
        Arguments.of("{}", "name"),
        Arguments.of("{\"name\":\"a\",\"value\":\"5\"}", "value"),
        Arguments.of("{\"name\":\"a\",\"value\":1.5}", "value"),
        Arguments.of("{\"name\":\"a\",\"value\":5.0}", "value"),
        Arguments.of("{\"name\":\"a\",\"value\":1e3}", "value"),
        Arguments.of("{\"name\":\"a\",\"value\":2147483648}", "value"),
        Arguments.of("{\"name\":\"a\",\"value\":-2147483649}", "value"),
        Arguments.of("{\"name\":\"a\",\"value\":99999999999999999999999}", "value"),
        Arguments.of("{\"name\":\"a\",\"value\":true}", "value"),
        Arguments.of("{\"name\":\"a\",\"value\":{}}", "value"),
        Arguments.of("[]", "body"),
        Arguments.of("[{\"name\":\"a\"}]", "body"),
        Arguments.of("\"name\"", "body"),
        Arguments.of("42", "body"),
        Arguments.of("null", "body"),
        Arguments.of("", "body"));
  }

  @ParameterizedTest
  @MethodSource("invalidBodies")
  void invalidBodiesAreRejectedByPostAndPut(String body, String field) throws Exception {
    long id = created(body("keep", 1)).get("id").asLong();

    assertThat(errorFields(assertProblem(send("POST", "/api/items", body), 422)))
        .containsExactly(field);
    assertThat(errorFields(assertProblem(send("PUT", "/api/items/" + id, body), 422)))
        .containsExactly(field);
    assertThat(plank.db().count("SELECT count(*) FROM public.items")).isEqualTo(1);
    assertThat(plank.db().query("SELECT name FROM public.items").get(0).get("name"))
        .isEqualTo("keep");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"name\":null}",
        "{\"name\":\"\"}",
        "{\"value\":\"5\"}",
        "{\"value\":1.5}",
        "{\"value\":2147483648}",
        "[]",
        ""
      })
  void invalidPatchesAreRejected(String body) throws Exception {
    JsonNode item = created(body("keep", 1));

    JsonNode problem =
        assertProblem(send("PATCH", "/api/items/" + item.get("id").asLong(), body), 422);

    assertThat(problem.get("errors")).hasSize(1);
    assertThat(rowJson(item.get("id").asLong())).isEqualTo(item);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"name\":",
        "{\"name\":\"a\"} trailing",
        "{name:\"a\"}",
        "{\"name\":\"a\",}",
        "nul"
      })
  void malformedJsonIs400(String body) throws Exception {
    long id = created(body("keep", 1)).get("id").asLong();

    assertThat(assertProblem(send("POST", "/api/items", body), 400).get("detail").textValue())
        .startsWith("Malformed JSON");
    assertProblem(send("PUT", "/api/items/" + id, body), 400);
    assertProblem(send("PATCH", "/api/items/" + id, body), 400);
  }

  @Test
  void jsonOverTheParserLimitsIs400WithoutInternals() throws Exception {
    String deep = "{\"name\":" + "[".repeat(100) + "]".repeat(100) + "}";
    String longNumber = "{\"name\":\"a\",\"value\":" + "9".repeat(200) + "}";
    for (String body : List.of(deep, longNumber)) {
      String detail =
          assertProblem(send("POST", "/api/items", body), 400).get("detail").textValue();
      assertThat(detail).startsWith("Malformed JSON").contains("exceeds the maximum allowed");
      assertThat(detail).doesNotContain("StreamReadConstraints").doesNotContain("`");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "1.5", "99999999999999999999", "1e3", "%20"})
  void nonIntegerIdIs422(String id) throws Exception {
    for (String method : List.of("GET", "PUT", "PATCH", "DELETE")) {
      String body = method.startsWith("P") ? "{\"name\":\"a\"}" : null;
      JsonNode problem = assertProblem(send(method, "/api/items/" + id, body), 422);
      assertThat(errorFields(problem)).as(method).containsExactly("id");
    }
  }

  @Test
  void badIdAndBadBodyAreListedTogether() throws Exception {
    for (String method : List.of("PUT", "PATCH")) {
      JsonNode problem =
          assertProblem(send(method, "/api/items/x", "{\"name\":\"\",\"value\":1.5}"), 422);
      assertThat(errorFields(problem)).as(method).containsExactly("id", "name", "value");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "limit=abc",
        "limit=0",
        "limit=1001",
        "limit=-1",
        "limit=",
        "limit=2.5",
        "offset=-1",
        "offset=x",
        "since=yesterday",
        "since=2026-01-01",
        "since=2026-01-01T00:00:00"
      })
  void badQueryParametersAre422(String query) throws Exception {
    JsonNode problem = assertProblem(send("GET", "/api/items?" + query, null), 422);
    assertThat(errorFields(problem)).containsExactly(query.substring(0, query.indexOf('=')));
  }

  @Test
  void everyBadQueryParameterIsListed() throws Exception {
    JsonNode problem =
        assertProblem(send("GET", "/api/items?limit=big&offset=-5&since=never", null), 422);
    assertThat(errorFields(problem)).containsExactly("limit", "offset", "since");
  }

  @Test
  void unknownIdIs404() throws Exception {
    assertThat(assertProblem(send("GET", "/api/items/424242", null), 404).get("detail").textValue())
        .contains("424242");
    assertProblem(send("PUT", "/api/items/424242", "{\"name\":\"a\"}"), 404);
    assertProblem(send("PATCH", "/api/items/424242", "{\"name\":\"a\"}"), 404);
    assertProblem(send("PATCH", "/api/items/424242", "{}"), 404);
    assertProblem(send("DELETE", "/api/items/424242", null), 404);
    assertProblem(send("GET", "/api/items/-1", null), 404);
    assertThat(plank.db().count("SELECT count(*) FROM public.items")).isZero();
  }

  @Test
  void bodyOverOneMebibyteIs413() throws Exception {
    String huge = "{\"name\":\"a\",\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}";
    assertProblem(send("POST", "/api/items", huge), 413);
    assertThat(plank.db().count("SELECT count(*) FROM public.items")).isZero();
  }

  @Test
  void nonJsonContentTypeIs415() throws Exception {
    assertProblem(send("POST", "/api/items", "{\"name\":\"a\"}", "text/plain"), 415);
    assertProblem(send("POST", "/api/items", "name=a", "application/x-www-form-urlencoded"), 415);
    assertThat(plank.db().count("SELECT count(*) FROM public.items")).isZero();
  }

  @Test
  void anUntypedBodyIsJsonExceptFromABrowser() throws Exception {
    assertThat(send("POST", "/api/items", body("script", 1), null).statusCode()).isEqualTo(201);
    // What a page on any site can send without a CORS preflight: fetch() of an untyped Blob
    // (or navigator.sendBeacon) carries Origin and no Content-Type.
    // A foreign page is refused for its origin (BrowserOrigins) before the body is looked at;
    // an allowed page must still say that it sends JSON.
    HttpRequest forged =
        HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/api/items"))
            .header("Origin", "https://evil.example")
            .POST(BodyPublishers.ofString(body("forged", 1)))
            .build();
    assertProblem(HTTP.send(forged, BodyHandlers.ofString()), 403);
    HttpRequest untyped =
        HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/api/items"))
            .header("Origin", plank.httpUrl())
            .POST(BodyPublishers.ofString(body("forged", 1)))
            .build();
    assertProblem(HTTP.send(untyped, BodyHandlers.ofString()), 415);
    assertThat(plank.db().count("SELECT count(*) FROM public.items WHERE name = 'forged'"))
        .isZero();
  }

  @Test
  void unsupportedMethodIs405WithAllow() throws Exception {
    HttpResponse<String> response = send("DELETE", "/api/items", null);
    assertProblem(response, 405);
    assertThat(response.headers().firstValue("Allow")).hasValue("GET, POST");
    HttpResponse<String> onItem = send("POST", "/api/items/1", "{\"name\":\"a\"}");
    assertProblem(onItem, 405);
    assertThat(onItem.headers().firstValue("Allow")).hasValue("GET, PUT, PATCH, DELETE");
  }

  @Test
  void databaseErrorsAre500WithoutDetails() throws Exception {
    plank.db().execute("ALTER TABLE public.items ADD CONSTRAINT no_boom CHECK (name <> 'boom')");
    try {
      JsonNode problem = assertProblem(send("POST", "/api/items", body("boom", 1)), 500);
      assertThat(problem.get("detail").textValue())
          .doesNotContain("no_boom")
          .doesNotContainIgnoringCase("constraint")
          .doesNotContainIgnoringCase("sql");
    } finally {
      plank.db().execute("ALTER TABLE public.items DROP CONSTRAINT no_boom");
    }
    assertThat(send("POST", "/api/items", body("fine", 1)).statusCode()).isEqualTo(201);
  }

  // ---- real-time ---------------------------------------------------------------------------

  @Test
  void restWritesReachWebSocketSubscribers() throws Exception {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.send("{\"action\":\"subscribe\",\"channel\":\"items\",\"id\":\"s\"}");
      JsonNode ack = ws.next();
      assertThat(ack.get("type").textValue()).isEqualTo("subscribed");
      assertThat(ack.get("id").textValue()).isEqualTo("s");

      HttpResponse<String> post = send("POST", "/api/items", body("live", 3));
      assertThat(post.statusCode()).isEqualTo(201);
      JsonNode insert = ws.next();
      assertThat(insert.get("type").textValue()).isEqualTo("INSERT");
      assertThat(insert.get("channel").textValue()).isEqualTo("items");
      assertThat(insert.get("data")).isEqualTo(JSON.readTree(post.body()));

      long id = JSON.readTree(post.body()).get("id").asLong();
      HttpResponse<String> patch = send("PATCH", "/api/items/" + id, "{\"value\":4}");
      JsonNode update = ws.next();
      assertThat(update.get("type").textValue()).isEqualTo("UPDATE");
      assertThat(update.get("data")).isEqualTo(JSON.readTree(patch.body()));
      assertThat(update.get("old")).isEqualTo(JSON.readTree(post.body()));

      assertThat(send("DELETE", "/api/items/" + id, null).statusCode()).isEqualTo(204);
      JsonNode delete = ws.next();
      assertThat(delete.get("type").textValue()).isEqualTo("DELETE");
      assertThat(delete.get("data")).isEqualTo(JSON.readTree(patch.body()));
    }
  }

  // ---- documentation -----------------------------------------------------------------------

  @Test
  void openApiDescribesTheApi() throws Exception {
    HttpResponse<String> response = send("GET", "/openapi.json", null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode spec = JSON.readTree(response.body());
    assertThat(spec.get("openapi").textValue()).startsWith("3.0");
    assertThat(fieldNames(spec.get("paths")))
        .contains("/api/items", "/api/items/{id}", "/health", "/ready", "/metrics", "/ws");
    assertThat(fieldNames(spec.get("paths").get("/api/items"))).contains("get", "post");
    assertThat(fieldNames(spec.get("paths").get("/api/items/{id}")))
        .contains("get", "put", "patch", "delete");
    assertThat(fieldNames(spec.at("/components/schemas")))
        .contains("Item", "ItemCreate", "ItemPatch", "Problem", "ValidationProblem");
    // Every operation on items may answer 401 (no valid token), 403 (not allowed) and 421 (Host
    // not served), each as problem+json.
    for (String path : List.of("/api/items", "/api/items/{id}")) {
      JsonNode operations = spec.get("paths").get(path);
      for (String method : fieldNames(operations)) {
        JsonNode responses = operations.get(method).path("responses");
        if (responses.isMissingNode()) continue; // path-level parameters
        for (String status : List.of("401", "403", "421")) {
          JsonNode answer = spec.at(responses.get(status).get("$ref").textValue().substring(1));
          assertThat(answer.at("/content/application~1problem+json/schema/$ref").textValue())
              .as("%s %s %s", method, path, status)
              .isEqualTo("#/components/schemas/Problem");
        }
      }
    }
    for (String ref : refs(spec, new ArrayList<>())) {
      assertThat(spec.at(ref.substring(1)).isMissingNode()).as("%s resolves", ref).isFalse();
    }
  }

  @Test
  void docsServeSwaggerUi() throws Exception {
    for (String path : List.of("/docs", "/docs/")) {
      HttpResponse<String> page = send("GET", path, null);
      assertThat(page.statusCode()).as(path).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
      assertThat(page.body()).contains("swagger-ui-bundle.js").contains("swagger-ui.css");
    }
    HttpResponse<String> bundle = send("GET", "/docs/swagger-ui-bundle.js", null);
    assertThat(bundle.statusCode()).isEqualTo(200);
    assertThat(bundle.headers().firstValue("Content-Type").orElse("")).contains("javascript");
    assertThat(bundle.body()).contains("SwaggerUIBundle");
    assertThat(send("GET", "/docs/swagger-ui.css", null).statusCode()).isEqualTo(200);
    HttpResponse<String> init = send("GET", "/docs/init.js", null);
    assertThat(init.statusCode()).isEqualTo(200);
    assertThat(init.body()).contains("url: '/openapi.json'");
    // The webjar's own demo page and initializer (pointing at the Petstore) are not exposed.
    assertThat(send("GET", "/docs/index.html", null).body()).doesNotContain("petstore");
    assertThat(send("GET", "/docs/swagger-initializer.js", null).statusCode()).isEqualTo(404);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static HttpResponse<String> send(String method, String path, String body)
      throws Exception {
    return send(method, path, body, body == null ? null : "application/json");
  }

  private static HttpResponse<String> send(
      String method, String path, String body, String contentType) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(plank.httpUrl() + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (contentType != null) request.header("Content-Type", contentType);
    return HTTP.send(request.build(), BodyHandlers.ofString());
  }

  private static JsonNode created(String body) throws Exception {
    HttpResponse<String> response = send("POST", "/api/items", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return JSON.readTree(response.body());
  }

  private static JsonNode patched(long id, String body) throws Exception {
    HttpResponse<String> response = send("PATCH", "/api/items/" + id, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private static JsonNode list(String query) throws Exception {
    HttpResponse<String> response = send("GET", "/api/items" + query, null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private static String body(String name, Integer value) throws Exception {
    return JSON.writeValueAsString(
        value == null
            ? java.util.Map.of("name", name)
            : java.util.Map.of("name", name, "value", value));
  }

  private static String rowText(long id) {
    return (String)
        plank
            .db()
            .query("SELECT to_jsonb(i)::text AS j FROM public.items i WHERE id = ?", id)
            .get(0)
            .get("j");
  }

  private static JsonNode rowJson(long id) throws Exception {
    return JSON.readTree(rowText(id));
  }

  private static OffsetDateTime timestamp(JsonNode item, String field) {
    return OffsetDateTime.parse(item.get(field).textValue());
  }

  /** Checks the problem+json shape every error must have, and that nothing internal leaks. */
  private static JsonNode assertProblem(HttpResponse<String> response, int status)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(response.body())
        .doesNotContain("Exception")
        .doesNotContain("at dev.")
        .doesNotContain("at io.")
        .doesNotContain("\tat ");
    JsonNode problem = JSON.readTree(response.body());
    assertThat(problem.get("type").textValue()).isEqualTo("about:blank");
    assertThat(problem.get("title").textValue()).isNotBlank();
    assertThat(problem.get("status").intValue()).isEqualTo(status);
    assertThat(problem.get("detail").textValue()).isNotBlank();
    return problem;
  }

  private static List<String> errorFields(JsonNode problem) {
    List<String> fields = new ArrayList<>();
    for (JsonNode error : problem.get("errors")) fields.add(error.get("field").textValue());
    return fields;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static List<String> refs(JsonNode node, List<String> found) {
    if (node.isObject() && node.has("$ref")) found.add(node.get("$ref").textValue());
    for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) refs(it.next(), found);
    return found;
  }
}
