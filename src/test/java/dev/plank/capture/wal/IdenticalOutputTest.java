package dev.plank.capture.wal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.LogicalPostgres;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A client cannot tell the capture modes apart: the same writes to a table of every kind of column
 * give byte-identical change frames in trigger mode and in WAL mode (but for seq, cursor and ts).
 */
class IdenticalOutputTest {
  private static final String SCHEMA =
      """
      CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
      CREATE DOMAIN positive AS int CHECK (VALUE > 0);
      CREATE DOMAIN doc AS jsonb;
      CREATE TABLE kinds (
        id bigint PRIMARY KEY,
        i2 smallint, i4 int, i8 bigint, num numeric, num_scaled numeric(12,4),
        f4 real, f8 double precision, b boolean, t text, vc varchar(20),
        j json, jb jsonb, ia int[], ta text[], u uuid,
        tstz timestamptz, ts timestamp, d date, iv interval, by bytea,
        m mood, pos positive, dj doc);
      """;
  private static final String[] WRITES = {
    """
    INSERT INTO kinds VALUES (1, 32767, -2147483648, 9223372036854775807,
      123456789012345678901234567890.123456789, 1.5, 3.14159, 0.1, true,
      'quote " backslash \\ tab \t newline \n unicode é 😀', 'short',
      '{"b": [1, 2.50, "x"], "a": {"n": null}}', '{"b": [1, 2.50, "x"], "a": {"n": null}}',
      '{1,NULL,3}', '{"a b","c,d",NULL}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '2024-01-02 03:04:05.123456+00', '2024-01-02 03:04:05.5', '2024-02-29', '1 day 02:03:04',
      '\\x00ff10', 'happy', 7, '{"k": [true, false]}')
    """,
    "INSERT INTO kinds (id) VALUES (2)",
    "INSERT INTO kinds (id, f4, f8, num) VALUES (3, 'NaN', 'Infinity', 'NaN')",
    "INSERT INTO kinds (id, f8, tstz) VALUES (4, '-Infinity', '-infinity')",
    "UPDATE kinds SET t = 'changed', m = 'sad', jb = '[]' WHERE id = 1",
    "UPDATE kinds SET f8 = 1e300 WHERE id = 3",
    "DELETE FROM kinds WHERE id = 2",
    "DELETE FROM kinds WHERE id = 1",
  };

  @Test
  void triggerAndWalModesSendTheSameBytes() throws Exception {
    List<String> trigger = frames("trigger");
    List<String> wal = frames("wal");
    assertThat(wal).hasSize(WRITES.length);
    assertThat(wal).containsExactlyElementsOf(trigger);
  }

  private List<String> frames(String mode) throws SQLException {
    DatabaseUrl url = LogicalPostgres.create(IdenticalOutputTest.class);
    List<String> frames = new ArrayList<>();
    try (Connection setup = dev.plank.support.TestDatabases.connect(url);
        Statement st = setup.createStatement()) {
      st.execute(SCHEMA);
      st.execute("ALTER DATABASE " + url.database() + " SET TimeZone = 'UTC'");
    }
    try (TestPlank plank =
            TestPlank.start(url, Map.of("PLANK_CAPTURE", mode, "PLANK_TABLES", "kinds"));
        WsClient ws = WsClient.connect(plank.wsUrl());
        Connection writer = dev.plank.support.TestDatabases.connect(url);
        Statement st = writer.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      ws.subscribe("kinds");
      for (String write : WRITES) st.execute(write);
      for (int i = 0; i < WRITES.length; i++) {
        String frame = ws.nextText(Duration.ofSeconds(10));
        // seq, cursor and ts differ between any two runs; every other byte must not.
        frames.add(
            frame
                .replaceAll("\"seq\":\\d+", "\"seq\":0")
                .replaceAll("\"cursor\":\"[^\"]*\"", "\"cursor\":\"\"")
                .replaceAll("\"ts\":\"[^\"]*\"", "\"ts\":\"\""));
      }
    }
    return frames;
  }
}
