package dev.plank.capture.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.LogicalPostgres;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PLANK_CAPTURE=wal: changes come from the slot, not from a trigger, and reach subscribers as in
 * trigger mode, including the edges of logical decoding.
 */
class WalCaptureTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    DatabaseUrl db = LogicalPostgres.create(WalCaptureTest.class);
    new TestDb(db)
        .execute(
            "CREATE TABLE docs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text, n int)");
    plank = TestPlank.start(db, Map.of("PLANK_CAPTURE", "wal", "PLANK_TABLES", "items,docs"));
  }

  @AfterAll
  static void stop() {
    if (plank != null) plank.close();
  }

  @Test
  void insertUpdateDeleteArriveWithoutATrigger() {
    assertThat(
            plank
                .db()
                .count(
                    "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.items'::regclass"
                        + " AND NOT tgisinternal"))
        .isZero();
    assertThat(
            plank
                .db()
                .query("SELECT relreplident::text AS r FROM pg_class WHERE oid = 'items'::regclass")
                .get(0)
                .get("r"))
        .isEqualTo("f");
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      long id =
          (Long)
              plank
                  .db()
                  .query("INSERT INTO items(name, value) VALUES ('a', 11) RETURNING id")
                  .get(0)
                  .get("id");
      JsonNode insert = ws.next();
      assertThat(insert.path("type").asText()).isEqualTo("INSERT");
      assertThat(insert.path("data").path("id").asLong()).isEqualTo(id);
      assertThat(insert.path("data").path("name").asText()).isEqualTo("a");
      assertThat(insert.has("old")).isFalse();

      plank.db().execute("UPDATE items SET value = 12 WHERE id = ?", id);
      JsonNode update = ws.next();
      assertThat(update.path("type").asText()).isEqualTo("UPDATE");
      assertThat(update.path("data").path("value").asInt()).isEqualTo(12);
      assertThat(update.path("old").path("value").asInt()).isEqualTo(11);
      assertThat(update.path("seq").asLong()).isGreaterThan(insert.path("seq").asLong());

      plank.db().execute("DELETE FROM items WHERE id = ?", id);
      JsonNode delete = ws.next();
      assertThat(delete.path("type").asText()).isEqualTo("DELETE");
      assertThat(delete.path("data").path("name").asText()).isEqualTo("a");
      assertThat(delete.path("data").path("value").asInt()).isEqualTo(12);
    }
  }

  @Test
  void anUnchangedToastedValueIsFilledFromTheOldRow() {
    String big = "x".repeat(200_000) + "end";
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("docs");
      long id =
          (Long)
              plank
                  .db()
                  .query("INSERT INTO docs(body, n) VALUES (?, 1) RETURNING id", big)
                  .get(0)
                  .get("id");
      assertThat(ws.next().path("type").asText()).isEqualTo("INSERT");
      plank.db().execute("UPDATE docs SET n = 2 WHERE id = ?", id);
      JsonNode update = ws.next();
      assertThat(update.path("type").asText()).isEqualTo("UPDATE");
      assertThat(update.path("data").path("n").asInt()).isEqualTo(2);
      assertThat(update.path("data").path("body").asText()).isEqualTo(big);
      assertThat(update.path("old").path("body").asText()).isEqualTo(big);
    }
  }

  @Test
  void truncateSendsResyncOnItsChannel() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items", "\"events\":[\"INSERT\"]");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('t', 1)");
      assertThat(ws.next().path("type").asText()).isEqualTo("INSERT");
      plank.db().execute("TRUNCATE items");
      JsonNode resync = ws.next();
      assertThat(resync.toString())
          .isEqualTo("{\"type\":\"resync\",\"channel\":\"items\",\"reason\":\"truncated\"}");
    }
  }

  @Test
  void aColumnAddedMidStreamIsInLaterChanges() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("docs");
      plank.db().execute("INSERT INTO docs(body, n) VALUES ('before', 1)");
      assertThat(ws.next().path("data").has("extra")).isFalse();
      plank.db().execute("ALTER TABLE docs ADD COLUMN IF NOT EXISTS extra text");
      plank.db().execute("INSERT INTO docs(body, n, extra) VALUES ('after', 2, 'e')");
      JsonNode after = ws.next();
      assertThat(after.path("data").path("body").asText()).isEqualTo("after");
      assertThat(after.path("data").path("extra").asText()).isEqualTo("e");
    }
  }
}
