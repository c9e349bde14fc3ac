package dev.plank.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every bad message gets the design's error code, and the connection keeps working after it. */
class ProtocolErrorsTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    DatabaseUrl db = TestDatabases.create(ProtocolErrorsTest.class);
    TestDb sql = new TestDb(db);
    sql.execute("CREATE TABLE other (id int primary key)");
    sql.execute("CREATE TABLE uncaptured (id int primary key)");
    plank =
        TestPlank.start(
            db, Map.of("PLANK_TABLES", "items,public.other", "PLANK_MAX_SUBSCRIPTIONS", "1"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{not json                                                   | bad_json",
        "[1,2]                                                       | bad_request",
        "{\"channel\":\"items\"}                                     | bad_request",
        "{\"action\":42}                                             | bad_request",
        "{\"action\":\"dance\",\"id\":\"q\"}                         | unknown_action",
        "{\"action\":\"subscribe\"}                                  | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"nope\"}             | unknown_channel",
        "{\"action\":\"subscribe\",\"channel\":\"uncaptured\"}       | unknown_channel",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"events\":[\"TRUNCATE\"]} | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"events\":[]} | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":5} | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":\"name=like.a*\"} | bad_filter",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":\"nope=eq.1\"} | bad_filter",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":\"value=gt.abc\"} | bad_filter",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":\"value\"} | bad_filter",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":\"value=in.5\"} | bad_filter",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":\"value=is.maybe\"} | bad_filter",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"since\":\"abc\"} | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"since\":\"1.2.3\"} | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"since\":\"-1.5\"} | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"since\":17} | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"since\":\"99999999999999999999.1\"} | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"snapshot\":\"yes\"} | bad_request",
        "{\"action\":\"subscribe\",\"channel\":\"items\",\"snapshot\":true,\"since\":\"1.1\"} | bad_request",
        "{\"action\":\"ping\",\"id\":{\"nested\":true}}             | bad_request",
        "{\"action\":\"unsubscribe\"}                                | bad_request",
      })
  void aBadMessageGetsAnErrorAndTheConnectionStaysOpen(String message, String code) {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.send(message);
      JsonNode error = ws.next();
      assertThat(error.path("type").asText()).isEqualTo("error");
      assertThat(error.path("code").asText()).isEqualTo(code);
      assertThat(error.path("message").asText())
          .isNotBlank()
          .doesNotContain("Exception", "\tat ", "StreamReadConstraints");
      ws.send("{\"action\":\"ping\",\"id\":\"after\"}");
      assertThat(ws.next().toString()).isEqualTo("{\"type\":\"pong\",\"id\":\"after\"}");
    }
  }

  @Test
  void errorRepliesEchoTheRequestId() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.send(
          "{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":\"name=like.a*\",\"id\":\"r1\"}");
      assertThat(ws.next().toString())
          .isEqualTo(
              "{\"type\":\"error\",\"id\":\"r1\",\"code\":\"bad_filter\","
                  + "\"message\":\"unknown operator 'like' in 'name=like.a*'\"}");
    }
  }

  @Test
  void tooManySubscriptionsIsRefused() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.subscribe("items");
      ws.subscribe("items", "\"filter\":\"value=eq.1\""); // replacing does not count twice
      ws.send("{\"action\":\"subscribe\",\"channel\":\"other\",\"id\":3}");
      JsonNode error = ws.next();
      assertThat(error.path("code").asText()).isEqualTo("too_many_subscriptions");
      assertThat(error.path("id").asInt()).isEqualTo(3);
      ws.send("{\"action\":\"unsubscribe\",\"channel\":\"items\"}");
      assertThat(ws.next().path("type").asText()).isEqualTo("unsubscribed");
      ws.subscribe("other");
    }
  }

  @Test
  void binaryFramesAreRefusedPolitely() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.socket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
      assertThat(ws.next().path("code").asText()).isEqualTo("bad_request");
      ws.send("{\"action\":\"ping\"}");
      assertThat(ws.next().path("type").asText()).isEqualTo("pong");
    }
  }

  @Test
  void anOversizedFrameClosesWith1009() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      var unused =
          ws.socket()
              .sendText("{\"action\":\"ping\",\"pad\":\"" + "x".repeat(70_000) + "\"}", true);
      assertThat(ws.awaitClose().code()).isEqualTo(1009);
    }
  }

  @Test
  void deeplyNestedJsonIsRejectedNotFatal() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.send("[".repeat(5000) + "]".repeat(5000));
      assertThat(ws.next().path("code").asText()).isEqualTo("bad_json");
      ws.send("{\"action\":\"ping\"}");
      assertThat(ws.next().path("type").asText()).isEqualTo("pong");
    }
  }
}
