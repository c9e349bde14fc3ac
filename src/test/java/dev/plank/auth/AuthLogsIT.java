package dev.plank.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.DatabaseUrl;
import dev.plank.support.Jwts;
import dev.plank.support.PlankProcess;
import dev.plank.support.RawHttp;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The jar at DEBUG level, fed good and bad tokens every way a client sends them: not one log line
 * holds a token or the secret (the {@code token} query parameter included, on refused upgrades).
 */
class AuthLogsIT {
  @Test
  void noTokenOrSecretReachesTheLog() throws Exception {
    DatabaseUrl database = TestDatabases.create(AuthLogsIT.class);
    Path dir = PlankProcess.tempDir("plank-auth-logs");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dplank.log.level=debug",
            "-jar",
            PlankProcess.jar().toString(),
            "--port",
            Integer.toString(port),
            "--demo");
    List<String> tokens = new ArrayList<>();
    try (PlankProcess plank =
        PlankProcess.start(
            command,
            dir,
            Map.of(
                "DATABASE_URL",
                TestPlank.url(database),
                "PLANK_JWT_SECRET",
                Jwts.SECRET,
                "PLANK_AUTH_TIMEOUT",
                "500ms"))) {
      plank.awaitLine(l -> l.startsWith("Plank listening"), Duration.ofSeconds(60));
      String good = Jwts.hs256(Jwts.claims("42", "authenticated", 60));
      String expired = Jwts.hs256(Jwts.claims("42", "authenticated", -60));
      String forged =
          Jwts.hs256("forged-secret-0123456789-abcdefghijklmn", Jwts.claims("1", "x", 60));
      String none = Jwts.unsigned(Jwts.claims("1", "service", 60));
      tokens.addAll(List.of(good, expired, forged, none));

      String ws = "ws://127.0.0.1:" + port + "/ws";
      for (String bad : List.of(expired, forged, none)) {
        assertThat(RawHttp.upgrade(port, "/ws?token=" + bad, Map.of()).status()).isEqualTo(401);
        assertThat(RawHttp.upgrade(port, "/ws", Map.of("Authorization", "Bearer " + bad)).status())
            .isEqualTo(401);
      }
      try (WsClient client = WsClient.connect(ws + "?token=" + good)) {
        client.subscribe("items");
      }
      try (WsClient client = WsClient.connect(ws)) {
        client.send("{\"action\":\"auth\",\"token\":\"" + forged + "\"}");
        assertThat(client.next().path("code").asText()).isEqualTo("unauthorized");
        client.send("{\"action\":\"auth\",\"token\":\"" + good + "\"}");
        assertThat(client.next().path("type").asText()).isEqualTo("authenticated");
      }
      try (WsClient client = WsClient.connect(ws)) { // closed at the auth deadline
        assertThat(client.awaitClose().code()).isEqualTo(1008);
      }
      HttpClient http = HttpClient.newHttpClient();
      for (String token : tokens) {
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/items?token=" + token))
                .build(),
            HttpResponse.BodyHandlers.discarding());
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/items"))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.discarding());
      }
      plank.sigterm();
      assertThat(plank.awaitExit(Duration.ofSeconds(30))).isZero();

      List<String> lines = plank.lines();
      assertThat(lines).anyMatch(l -> l.contains("DEBUG")); // the level took effect
      for (String line : lines) {
        assertThat(line).doesNotContain(Jwts.SECRET);
        for (String token : tokens) {
          // Any of the three parts is enough to leak it (the signature proves a forgery works).
          for (String part : token.split("\\.", -1)) {
            if (part.length() >= 16) assertThat(line).doesNotContain(part);
          }
        }
      }
    } finally {
      TestDatabases.drop(database);
      PlankProcess.deleteTree(dir);
    }
  }
}
