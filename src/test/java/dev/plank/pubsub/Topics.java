package dev.plank.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.function.Predicate;

/** Broadcast and presence requests over Plank's /ws protocol, for the tests. */
final class Topics {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private Topics() {}

  static JsonNode join(WsClient client, String topic) {
    client.send("{\"action\":\"join\",\"topic\":\"" + topic + "\"}");
    JsonNode reply = client.next();
    assertThat(reply.path("type").asText()).as("reply to join: %s", reply).isEqualTo("joined");
    JsonNode state = client.next();
    assertThat(state.path("type").asText())
        .as("after joined: %s", state)
        .isEqualTo("presence_state");
    return state;
  }

  static JsonNode track(WsClient client, String topic, String key, String state) {
    client.send(
        "{\"action\":\"track\",\"topic\":\""
            + topic
            + "\""
            + (key == null ? "" : ",\"key\":\"" + key + "\"")
            + ",\"state\":"
            + state
            + "}");
    // The tracker's own join comes first (it is a member of the topic), then the reply.
    return until(client, m -> !type("presence_diff").test(m));
  }

  /** The first message the predicate accepts, skipping others (each within 5 s). */
  static JsonNode until(WsClient client, Predicate<JsonNode> wanted) {
    for (JsonNode m = client.next(); ; m = client.next()) {
      if (wanted.test(m)) return m;
    }
  }

  static Predicate<JsonNode> type(String type) {
    return m -> m.path("type").asText().equals(type);
  }

  static Predicate<JsonNode> event(String event) {
    return m ->
        m.path("type").asText().equals("broadcast") && m.path("event").asText().equals(event);
  }

  static HttpResponse<String> post(String url, String body, String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url + "/api/broadcast"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) request.header("Authorization", "Bearer " + token);
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
