package dev.plank.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A user's own database, captured without {@code --demo}: Plank creates no {@code public.items},
 * and {@code /api/items} says so as a 404 problem, not a 500.
 */
class NoItemsTableTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static TestPlank plank;

  @BeforeAll
  static void start() {
    DatabaseUrl database = TestDatabases.create(NoItemsTableTest.class);
    new TestDb(database).execute("CREATE TABLE orders (id int PRIMARY KEY)");
    plank = TestPlank.start(database, Map.of("PLANK_TABLES", "orders", "PLANK_DEMO", "false"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void startingOnAUsersDatabaseCreatesNoDemoTable() {
    assertThat(plank.db().count("SELECT count(*) FROM pg_tables WHERE tablename = 'items'"))
        .isZero();
  }

  @Test
  void theItemsApiAnswersAProblemNaming404AndHowToGetTheTable() throws Exception {
    for (HttpRequest request :
        new HttpRequest[] {
          get("/api/items"),
          get("/api/items/1"),
          HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/api/items"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"a\"}"))
              .build()
        }) {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(request.toString()).isEqualTo(404);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValue("application/problem+json");
      JsonNode problem = new ObjectMapper().readTree(response.body());
      assertThat(problem.path("detail").asText())
          .isEqualTo(
              "This database has no table public.items, the demo table behind /api/items:"
                  + " start Plank with --demo (PLANK_DEMO=true) to create it");
    }
  }

  private static HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create(plank.httpUrl() + path)).build();
  }
}
