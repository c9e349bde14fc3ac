package dev.plank.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.RawWsClient;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random, truncated, deeply nested, huge-number, wrong-typed and binary messages at
 * {@code /ws}, and random bodies at the REST API: the server stays up, answers without stack
 * traces, and still serves well-formed requests afterwards. Seeded, so a failure repeats.
 */
class FuzzTest {
  static final long SEED = 20261124L;
  static TestPlank plank;

  @BeforeAll
  static void start() {
    // Thousands of messages as fast as possible: what is tested is parsing, not the rate limits.
    plank =
        TestPlank.start(
            FuzzTest.class,
            java.util.Map.of(
                "PLANK_MESSAGE_RATE", "1000000",
                "PLANK_MESSAGE_BURST", "1000000",
                "PLANK_SUBSCRIBE_RATE", "1000000",
                "PLANK_SUBSCRIBE_BURST", "1000000"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void randomWebSocketMessagesNeverBreakTheServer() throws Exception {
    Random random = new Random(SEED);
    long heapBefore = usedHeapAfterGc();
    int sent = 0;
    for (int connection = 0; connection < 4; connection++) {
      try (WsClient ws = WsClient.connect(plank.wsUrl())) {
        for (int i = 0; i < 750; i++, sent++) {
          if (random.nextInt(10) == 0) {
            byte[] bytes = new byte[random.nextInt(200)];
            random.nextBytes(bytes);
            ws.socket().sendBinary(ByteBuffer.wrap(bytes), true).join();
          } else {
            ws.send(Messages.random(random));
          }
        }
        ws.send("{\"action\":\"ping\",\"id\":\"end\"}");
        for (JsonNode reply = ws.next(); ; reply = ws.next()) {
          assertThat(reply.toString()).doesNotContain("Exception", "\\tat ", "dev.plank.");
          if (reply.path("id").asText().equals("end")
              && reply.path("type").asText().equals("pong")) {
            break;
          }
        }
      }
    }
    assertThat(sent).isEqualTo(3000);
    malformedFrames(random);
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      plank.db().execute("INSERT INTO items(name, value) VALUES ('after fuzz', 1)");
      assertThat(ws.next().path("data").path("name").asText()).isEqualTo("after fuzz");
    }
    assertThat(usedHeapAfterGc() - heapBefore).as("heap growth").isLessThan(64L << 20);
  }

  /** Frames no library would send: bad opcodes, invalid UTF-8, stray continuations. */
  private static void malformedFrames(Random random) throws Exception {
    int[][] cases = {{0x3, 1}, {0x1, 0}, {0x0, 1}, {0xB, 1}, {0x9, 0}};
    for (int[] frame : cases) {
      try (RawWsClient raw = RawWsClient.connect(plank.port(), 65536)) {
        byte[] payload = new byte[50];
        random.nextBytes(payload);
        raw.sendFrame(frame[0], payload, frame[1] == 1);
        raw.sendText("{\"action\":\"ping\"}");
        raw.readUntilClose(Duration.ofMillis(500));
      }
    }
    try (RawWsClient raw = RawWsClient.connect(plank.port(), 65536)) {
      raw.sendFrame(0x1, new byte[] {(byte) 0xc3, (byte) 0x28, '{', '}'}, true); // bad UTF-8
      raw.readUntilClose(Duration.ofMillis(500));
    }
  }

  @Test
  void randomRestRequestsGetClientErrorsWithoutStackTraces() throws Exception {
    Random random = new Random(SEED + 1);
    HttpClient http = HttpClient.newHttpClient();
    String[] methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    String[] paths = {
      "/api/items",
      "/api/items/1",
      "/api/items/abc",
      "/api/items/-1",
      "/api/items/99999999999999999999",
      "/api/items?limit=abc",
      "/api/items?offset=-5",
      "/api/items?limit=100000000000",
      "/api/items?since=nope"
    };
    String[] types = {"application/json", "text/plain", "application/x-www-form-urlencoded", ""};
    for (int i = 0; i < 500; i++) {
      String body = random.nextBoolean() ? Messages.random(random) : Messages.randomText(random);
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(plank.httpUrl() + paths[random.nextInt(paths.length)]))
              .method(
                  methods[random.nextInt(methods.length)],
                  HttpRequest.BodyPublishers.ofString(body));
      String type = types[random.nextInt(types.length)];
      if (!type.isEmpty()) request.header("Content-Type", type);
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as("%s", body).isLessThan(500);
      assertThat(response.body()).doesNotContain("Exception", "\tat ", "dev.plank.");
    }
    HttpResponse<String> list =
        http.send(
            HttpRequest.newBuilder(URI.create(plank.httpUrl() + "/api/items")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(list.statusCode()).isEqualTo(200);
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return runtime.totalMemory() - runtime.freeMemory();
  }

  /** Generators of hostile messages. */
  static final class Messages {
    private static final String[] VALID = {
      "{\"action\":\"subscribe\",\"channel\":\"items\"}",
      "{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":\"value=gt.5\"}",
      "{\"action\":\"unsubscribe\",\"channel\":\"items\"}",
      "{\"action\":\"ping\",\"id\":1}",
      "{\"action\":\"subscribe\",\"channel\":\"items\",\"since\":\"1.1\"}",
      "{\"name\":\"a\",\"value\":1}",
    };

    static String random(Random random) {
      String base = VALID[random.nextInt(VALID.length)];
      return switch (random.nextInt(8)) {
        case 0 -> base.substring(0, random.nextInt(base.length())); // truncated
        case 1 -> "[".repeat(random.nextInt(5000)) + "]".repeat(random.nextInt(10)); // deep
        case 2 -> "{\"action\":\"ping\",\"id\":1" + "9".repeat(random.nextInt(20000)) + "}";
        case 3 -> wrongTypes(random);
        case 4 -> randomText(random);
        case 5 -> base.replace("items", randomText(random).replace("\"", ""));
        case 6 -> "{\"a\":" + "{\"a\":".repeat(100) + "1" + "}".repeat(101);
        default -> base;
      };
    }

    private static String wrongTypes(Random random) {
      String[] values = {"null", "true", "1e999", "-0", "[]", "{}", "\"\"", "12345678901234567890"};
      String[] keys = {"action", "channel", "filter", "events", "since", "snapshot", "id"};
      List<String> members = new ArrayList<>();
      for (int i = 0; i < 1 + random.nextInt(4); i++) {
        members.add(
            "\""
                + keys[random.nextInt(keys.length)]
                + "\":"
                + values[random.nextInt(values.length)]);
      }
      return "{" + String.join(",", members) + "}";
    }

    static String randomText(Random random) {
      byte[] bytes = new byte[random.nextInt(300)];
      random.nextBytes(bytes);
      return new String(bytes, StandardCharsets.ISO_8859_1);
    }
  }
}
