package dev.plank.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every value PostgreSQL can store reaches clients exactly as PostgreSQL's JSON wrote it, live, in
 * replays and in snapshots; and no row, however extreme, stops the stream for anyone.
 */
class ExtremeValuesTest {
  private static final Duration BIG = Duration.ofSeconds(30);
  private static final int TEN_MB = 10 * 1024 * 1024;

  /** id → the SQL that sets one column of the row, in insertion order. */
  private static final Map<Integer, String> ROWS = new LinkedHashMap<>();

  static {
    ROWS.put(1, "j = (repeat('[', 65) || repeat(']', 65))::jsonb");
    ROWS.put(2, "j = (repeat('{\"a\":', 3000) || '1' || repeat('}', 3000))::jsonb");
    ROWS.put(3, "n = repeat('9', 1000)::numeric");
    ROWS.put(4, "n = (repeat('1', 500) || '.' || repeat('2', 500))::numeric");
    ROWS.put(5, "n = 'NaN'");
    ROWS.put(6, "n = 'Infinity'");
    ROWS.put(7, "n = '-Infinity'");
    ROWS.put(8, "n = 12345678901234567890.123456789, b = 9223372036854775807");
    ROWS.put(9, "n = 0.0000001, b = -9223372036854775808");
    ROWS.put(10, "n = 1.50, f = 1e300");
    ROWS.put(11, "t = repeat('x', " + TEN_MB + ")");
    ROWS.put(
        12,
        "t = chr(65) || chr(233) || chr(20013) || chr(128512) || chr(131072) || chr(196608)"
            + " || chr(917505) || chr(983040) || chr(1114109) || '\"\\\\' || chr(8232)");
  }

  static TestPlank plank;

  @BeforeAll
  static void start() {
    DatabaseUrl url = TestDatabases.create(ExtremeValuesTest.class);
    createTables(new TestDb(url));
    plank = TestPlank.start(url, Map.of("PLANK_TABLES", "extreme,other"));
  }

  static void createTables(TestDb db) {
    db.execute(
        "CREATE TABLE extreme (id bigint PRIMARY KEY, j jsonb, n numeric, b bigint,"
            + " f float8, t text)");
    db.execute("CREATE TABLE other (id bigint PRIMARY KEY, v text)");
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void everyValueArrivesExactlyLiveInReplayAndInSnapshotsAndOtherChannelsKeepFlowing() {
    try (WsClient extreme = WsClient.connect(plank.wsUrl());
        WsClient other = WsClient.connect(plank.wsUrl());
        WsClient filtered = WsClient.connect(plank.wsUrl())) {
      extreme.subscribe("extreme");
      other.subscribe("other");
      filtered.subscribe("extreme", "\"filter\":\"n=eq.12345678901234567890.123456789\"");

      List<String> cursors = new ArrayList<>();
      for (var row : ROWS.entrySet()) {
        plank.db().execute("INSERT INTO extreme (id) VALUES (" + row.getKey() + ")");
        plank.db().execute("UPDATE extreme SET " + row.getValue() + " WHERE id = " + row.getKey());
        String insert = extreme.nextText(BIG);
        String update = extreme.nextText(BIG);
        assertThat(insert).contains("\"type\":\"INSERT\"");
        assertThat(update)
            .as("row %s (%s) arrives exactly as PostgreSQL wrote it", row.getKey(), row.getValue())
            .contains("\"data\":" + rowJson(row.getKey()));
        cursors.add(cursor(update));
      }

      plank.db().execute("INSERT INTO other VALUES (1, 'still flowing')");
      JsonNode flowing = other.next(BIG);
      assertThat(flowing.path("data").path("v").asText()).isEqualTo("still flowing");

      // The filter compares the numeric exactly: only row 8's update matches, nothing else.
      String match = filtered.nextText(BIG);
      assertThat(match).contains("\"data\":" + rowJson(8));
      plank.db().execute("UPDATE extreme SET t = 'marker' WHERE id = 8");
      assertThat(filtered.next(BIG).path("data").path("t").asText()).isEqualTo("marker");

      assertReplayIsExact(cursors.get(0));
      assertSnapshotIsExact();
    }
  }

  private static void assertReplayIsExact(String firstCursor) {
    try (WsClient replay = WsClient.connect(plank.wsUrl())) {
      replay.subscribe("extreme", "\"since\":\"" + firstCursor + "\"");
      StringBuilder all = new StringBuilder();
      // Updates of rows 2..12 plus the inserts of rows 2..12, then the marker update.
      for (int i = 0; i < (ROWS.size() - 1) * 2 + 1; i++) all.append(replay.nextText(BIG));
      for (int id : ROWS.keySet()) {
        if (id == 1 || id == 8) continue; // before the cursor; row 8 changed since
        assertThat(all.toString()).as("replayed row %s", id).contains("\"data\":" + rowJson(id));
      }
    }
  }

  private static void assertSnapshotIsExact() {
    try (WsClient snap = WsClient.connect(plank.wsUrl())) {
      snap.subscribe("extreme", "\"snapshot\":true");
      StringBuilder all = new StringBuilder();
      String page;
      do {
        page = snap.nextText(BIG);
        all.append(page);
      } while (!page.contains("\"last\":true"));
      for (int id : ROWS.keySet()) {
        assertThat(all.toString()).as("snapshot row %s", id).contains(rowJson(id));
      }
    }
  }

  @Test
  void aChangeOverTheConfiguredMaximumIsSkippedWithResyncAndTheStreamGoesOn() {
    DatabaseUrl url = TestDatabases.create(ExtremeValuesTest.class);
    createTables(new TestDb(url));
    try (TestPlank small =
            TestPlank.start(
                url, Map.of("PLANK_TABLES", "extreme,other", "PLANK_MAX_CHANGE_BYTES", "100000"));
        WsClient extreme = WsClient.connect(small.wsUrl());
        WsClient other = WsClient.connect(small.wsUrl())) {
      extreme.subscribe("extreme");
      other.subscribe("other");

      small.db().execute("INSERT INTO extreme (id, t) VALUES (1, repeat('y', 200000))");
      JsonNode resync = extreme.next(BIG);
      assertThat(resync.path("type").asText()).isEqualTo("resync");
      assertThat(resync.path("channel").asText()).isEqualTo("extreme");
      assertThat(resync.path("reason").asText()).isEqualTo("change_too_large");

      small.db().execute("INSERT INTO extreme (id, t) VALUES (2, 'small')");
      small.db().execute("INSERT INTO other VALUES (1, 'other')");
      assertThat(extreme.next(BIG).path("data").path("id").asLong()).isEqualTo(2);
      assertThat(other.next(BIG).path("data").path("v").asText()).isEqualTo("other");
      assertThat(small.metric("plank_changes_skipped_total")).isEqualTo(1.0);
    }
  }

  private static String rowJson(int id) {
    return (String)
        plank
            .db()
            .query("SELECT to_jsonb(e)::text AS j FROM extreme e WHERE id = ?", id)
            .get(0)
            .get("j");
  }

  private static String cursor(String frame) {
    int at = frame.lastIndexOf("\"cursor\":\"") + 10;
    return frame.substring(at, frame.indexOf('"', at));
  }
}
