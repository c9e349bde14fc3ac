package dev.plank.pubsub;

import static dev.plank.pubsub.Topics.event;
import static dev.plank.pubsub.Topics.join;
import static dev.plank.pubsub.Topics.type;
import static dev.plank.pubsub.Topics.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Broadcasts between real clients, on one node and across two nodes on one database. */
class BroadcastTest {
  static TestPlank one;
  static TestPlank two;

  @BeforeAll
  static void start() {
    one = TestPlank.start(BroadcastTest.class);
    two = TestPlank.start(one.db().url(), Map.of());
  }

  @AfterAll
  static void stop() {
    two.stop();
    one.close();
  }

  @Test
  void aBroadcastReachesTheOtherMembersButNotItsSenderUnlessSelf() {
    try (WsClient a = WsClient.connect(one.wsUrl());
        WsClient b = WsClient.connect(one.wsUrl())) {
      join(a, "room:1");
      join(b, "room:1");

      a.send(
          "{\"action\":\"broadcast\",\"topic\":\"room:1\",\"event\":\"hello\","
              + "\"payload\":{\"text\":\"hi\",\"n\":1.5}}");
      JsonNode got = b.next();
      assertThat(got.toString())
          .isEqualTo(
              "{\"type\":\"broadcast\",\"topic\":\"room:1\",\"event\":\"hello\","
                  + "\"payload\":{\"text\":\"hi\",\"n\":1.5}}");

      // With self and ack: the sender gets its own message and an acknowledgement.
      a.send(
          "{\"action\":\"broadcast\",\"id\":7,\"topic\":\"room:1\",\"event\":\"mine\","
              + "\"payload\":1,\"self\":true,\"ack\":true}");
      // A's first message after "hello" (which it did not get) is its own "mine".
      List<JsonNode> toA = a.next(2);
      assertThat(toA)
          .extracting(m -> m.path("type").asText() + ":" + m.path("event").asText())
          .containsExactlyInAnyOrder("broadcast:mine", "broadcasted:");
      assertThat(toA).anySatisfy(m -> assertThat(m.path("id").asInt()).isEqualTo(7));
      assertThat(b.next().path("event").asText()).isEqualTo("mine");
    }
  }

  @Test
  void aBroadcastReachesMembersOnAnotherNode() {
    try (WsClient a = WsClient.connect(one.wsUrl());
        WsClient b = WsClient.connect(two.wsUrl());
        WsClient other = WsClient.connect(two.wsUrl())) {
      join(a, "room:2");
      join(b, "room:2");
      join(other, "room:other");
      a.send(
          "{\"action\":\"broadcast\",\"topic\":\"room:2\",\"event\":\"across\","
              + "\"payload\":{\"x\":[1,2]},\"ack\":true}");
      assertThat(a.next().path("type").asText()).isEqualTo("broadcasted");
      JsonNode got = until(b, event("across"));
      assertThat(got.path("payload").toString()).isEqualTo("{\"x\":[1,2]}");
      // A member of another topic gets nothing: its first message is the marker on its topic.
      a.send("{\"action\":\"join\",\"topic\":\"room:other\"}");
      until(a, type("presence_state"));
      a.send("{\"action\":\"broadcast\",\"topic\":\"room:other\",\"event\":\"marker\"}");
      assertThat(other.next().path("event").asText()).isEqualTo("marker");
    }
  }

  @Test
  void theRestEndpointBroadcastsToEveryNode() {
    try (WsClient a = WsClient.connect(one.wsUrl());
        WsClient b = WsClient.connect(two.wsUrl())) {
      join(a, "news");
      join(b, "news");
      var response =
          Topics.post(
              one.httpUrl(),
              "{\"topic\":\"news\",\"event\":\"flash\",\"payload\":{\"k\":1}}",
              null);
      assertThat(response.statusCode()).isEqualTo(202);
      assertThat(a.next().path("event").asText()).isEqualTo("flash");
      assertThat(b.next().path("payload").toString()).isEqualTo("{\"k\":1}");

      var bad = Topics.post(one.httpUrl(), "{\"event\":\"flash\"}", null);
      assertThat(bad.statusCode()).isEqualTo(422);
    }
  }

  @Test
  void theSqlFunctionBroadcastsOnCommitOnly() throws Exception {
    try (WsClient a = WsClient.connect(one.wsUrl());
        WsClient b = WsClient.connect(two.wsUrl());
        Connection db = one.db().connection()) {
      join(a, "orders");
      join(b, "orders");
      db.setAutoCommit(false);
      try (Statement st = db.createStatement()) {
        st.execute("SELECT plank.broadcast('orders', 'rolled_back', '{\"id\":1}')");
        db.rollback();
        st.execute("SELECT plank.broadcast('orders', 'committed', '{\"id\":2}')");
        db.commit();
      }
      for (WsClient c : List.of(a, b)) {
        JsonNode first = c.next();
        assertThat(first.path("event").asText()).isEqualTo("committed");
        assertThat(first.path("payload").toString()).isEqualTo("{\"id\":2}");
      }
    }
  }
}
