package dev.plank.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.ConnectionSettings;
import dev.plank.config.DatabaseUrl;
import dev.plank.config.Settings;
import dev.plank.support.PgBouncer;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Plank behind a real PgBouncer: in session mode it just works; in transaction mode LISTEN through
 * it would silently receive nothing, so start-up refuses, and with a direct listener connection
 * (PLANK_LISTEN_DATABASE_URL) and PLANK_POOL_MODE=transaction everything works through the pooler.
 */
class PgBouncerTest {
  @Test
  void transactionModeWithoutADirectListenerIsRefusedWithOneLineNamingTheSetting() {
    try (PgBouncer bouncer = PgBouncer.start("transaction")) {
      DatabaseUrl db = TestDatabases.create(PgBouncerTest.class);
      assertThatThrownBy(
              () ->
                  TestPlank.start(
                      db,
                      Map.of(
                          Settings.DATABASE_URL,
                          bouncer.url(db),
                          ConnectionSettings.POOL_MODE,
                          "transaction")))
          .hasMessageContaining("receives no notifications")
          .hasMessageContaining("set PLANK_LISTEN_DATABASE_URL to a direct connection")
          .message()
          .doesNotContain("\n");
    }
  }

  @Test
  void transactionModeWithADirectListenerDeliversEverything() throws Exception {
    try (PgBouncer bouncer = PgBouncer.start("transaction")) {
      DatabaseUrl db = TestDatabases.create(PgBouncerTest.class);
      try (TestPlank plank =
          TestPlank.start(
              db,
              Map.of(
                  Settings.DATABASE_URL,
                  bouncer.url(db),
                  ConnectionSettings.POOL_MODE,
                  "transaction",
                  ConnectionSettings.LISTEN_DATABASE_URL,
                  TestPlank.url(db)))) {
        exerciseThroughThePool(plank);
      }
    }
  }

  @Test
  void sessionModeWorksWithoutAnySetting() throws Exception {
    try (PgBouncer bouncer = PgBouncer.start("session")) {
      DatabaseUrl db = TestDatabases.create(PgBouncerTest.class);
      try (TestPlank plank = TestPlank.start(db, Map.of(Settings.DATABASE_URL, bouncer.url(db)))) {
        exerciseThroughThePool(plank);
      }
    }
  }

  /**
   * Writes over REST (the pool), a change too large for a notification (read back from the log
   * through the pool), a snapshot (a cursor in a transaction) and a resume from a cursor.
   */
  private static void exerciseThroughThePool(TestPlank plank) throws Exception {
    JsonNode tenth;
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      for (int i = 0; i < 20; i++) post(plank, "{\"name\":\"rest-" + i + "\",\"value\":" + i + "}");
      plank.db().execute("INSERT INTO items (name, value) VALUES (repeat('x', 20000), 99)");
      plank.db().execute("INSERT INTO items (name, value) VALUES ('end', 100)");
      List<JsonNode> live = ws.before(WsClient.rowWith("name", "end"));
      assertThat(names(live, 0))
          .hasSize(21)
          .startsWith("rest-0", "rest-1", "rest-2")
          .contains("rest-19")
          .last()
          .asString()
          .hasSize(20000);
      tenth = live.get(9);
    }
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"since\":\"" + tenth.path("cursor").asText() + "\"");
      List<String> replayed =
          names(ws.before(WsClient.rowWith("name", "end")), tenth.path("seq").asLong());
      assertThat(replayed).hasSize(11).startsWith("rest-10").contains("rest-19");
    }
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"snapshot\":true,\"filter\":\"value=gte.99\"");
      JsonNode page = ws.next();
      assertThat(page.path("type").asText()).isEqualTo("snapshot");
      assertThat(page.path("rows")).hasSize(2);
    }
  }

  /** The names of the changes after {@code afterSeq} (a replay may repeat earlier ones). */
  private static List<String> names(List<JsonNode> changes, long afterSeq) {
    List<String> names = new ArrayList<>();
    for (JsonNode m : changes) {
      if (m.path("seq").asLong() > afterSeq) names.add(m.path("data").path("name").asText());
    }
    return names;
  }

  private static void post(TestPlank plank, String json) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/api/items"))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
  }
}
