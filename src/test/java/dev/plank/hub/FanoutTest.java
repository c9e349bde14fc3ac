package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Many clients on one channel each receive every change, in order. */
class FanoutTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank = TestPlank.start(FanoutTest.class);
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void twoHundredClientsAllReceiveEveryChange() {
    int clients = 200;
    int changes = 20;
    List<WsClient> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < clients; i++) {
        WsClient ws = WsClient.connect(plank.wsUrl());
        sockets.add(ws);
        ws.send("{\"action\":\"subscribe\",\"channel\":\"items\"}");
      }
      for (WsClient ws : sockets)
        assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");
      for (int i = 0; i < changes; i++) {
        plank.db().execute("INSERT INTO items(name, value) VALUES ('fan', ?)", i);
      }
      for (WsClient ws : sockets) {
        List<Integer> values = new ArrayList<>();
        for (JsonNode change : ws.next(changes))
          values.add(change.path("data").path("value").asInt());
        assertThat(values).hasSize(changes).isSorted().doesNotHaveDuplicates();
      }
      plank.db().execute("INSERT INTO items(name, value) VALUES ('marker', ?)", changes);
      for (WsClient ws : sockets) {
        assertThat(ws.before(WsClient.rowWith("name", "marker"))).as("no repeats").isEmpty();
      }
    } finally {
      sockets.forEach(WsClient::close);
    }
  }
}
