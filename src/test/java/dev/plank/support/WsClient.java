package dev.plank.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A WebSocket client over a real socket (the JDK's), collecting every message it receives. */
public final class WsClient implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  // Rows from the database may nest deeply and hold long numbers: parse what the server sends.
  private static final ObjectMapper JSON = unconstrained();

  /** How the server closed the connection. */
  public record Closed(int code, String reason) {}

  /** A message as parsed and as it came over the wire. */
  private record Message(JsonNode json, String text) {}

  private final LinkedBlockingQueue<Message> messages = new LinkedBlockingQueue<>();
  private final CompletableFuture<Closed> closed = new CompletableFuture<>();
  private final WebSocket socket;

  private WsClient(String url, java.util.Map<String, String> headers) {
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    headers.forEach(builder::header);
    this.socket = builder.buildAsync(URI.create(url), new Receiver()).join();
  }

  private static ObjectMapper unconstrained() {
    ObjectMapper json = new ObjectMapper();
    json.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(Integer.MAX_VALUE)
                .maxNumberLength(Integer.MAX_VALUE)
                .maxStringLength(Integer.MAX_VALUE)
                .build());
    return json;
  }

  public static WsClient connect(String url) {
    return new WsClient(url, java.util.Map.of());
  }

  /** Connects with extra upgrade request headers, e.g. {@code Authorization}. */
  public static WsClient connect(String url, java.util.Map<String, String> headers) {
    return new WsClient(url, headers);
  }

  public void send(String text) {
    socket.sendText(text, true).join();
  }

  /**
   * Sends {@code subscribe} and waits for {@code subscribed}; extra is JSON members, e.g.
   * "\"filter\":\"id=eq.1\"".
   */
  public JsonNode subscribe(String channel, String extra) {
    send(
        "{\"action\":\"subscribe\",\"channel\":\""
            + channel
            + "\""
            + (extra == null || extra.isEmpty() ? "" : "," + extra)
            + "}");
    JsonNode reply = next();
    assertThat(reply.path("type").asText())
        .as("reply to subscribe: %s", reply)
        .isEqualTo("subscribed");
    return reply;
  }

  public JsonNode subscribe(String channel) {
    return subscribe(channel, null);
  }

  /** The next message, waiting up to 5 s; fails the test if none arrives. */
  public JsonNode next() {
    return next(Duration.ofSeconds(5));
  }

  public JsonNode next(Duration timeout) {
    return nextMessage(timeout).json();
  }

  /** The next message's text exactly as it came over the wire. */
  public String nextText(Duration timeout) {
    return nextMessage(timeout).text();
  }

  private Message nextMessage(Duration timeout) {
    try {
      Message message = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(message).as("a message within %s", timeout).isNotNull();
      return message;
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The next n messages. */
  public List<JsonNode> next(int n) {
    List<JsonNode> list = new ArrayList<>();
    for (int i = 0; i < n; i++) list.add(next());
    return list;
  }

  /**
   * The messages that arrive before the first one {@code marker} accepts (which is consumed); fails
   * if none does, waiting up to 5 s for each message. Written after the writes under test, a marker
   * makes "nothing unwanted arrives" a positive check: changes go out in commit order, so an
   * unwanted one would have come before it. Tests use this, never a window of silence.
   */
  public List<JsonNode> before(Predicate<JsonNode> marker) {
    return before(marker, Duration.ofSeconds(5));
  }

  public List<JsonNode> before(Predicate<JsonNode> marker, Duration timeout) {
    List<JsonNode> earlier = new ArrayList<>();
    for (JsonNode message = next(timeout); !marker.test(message); message = next(timeout)) {
      earlier.add(message);
    }
    return earlier;
  }

  /** A marker: the change whose row has {@code column} equal to {@code value}. */
  public static Predicate<JsonNode> rowWith(String column, Object value) {
    return m -> m.path("data").path(column).asText().equals(String.valueOf(value));
  }

  public CompletableFuture<Closed> closed() {
    return closed;
  }

  public Closed awaitClose() {
    try {
      return closed.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the server did not close the connection within 5 s", e);
    }
  }

  public WebSocket socket() {
    return socket;
  }

  @Override
  public void close() {
    if (!closed.isDone()) {
      socket.abort();
    }
  }

  private final class Receiver implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String whole = text.toString();
        JsonNode json;
        try {
          json = JSON.readTree(whole);
        } catch (Exception e) {
          json = JSON.getNodeFactory().textNode("unparseable: " + whole);
        }
        messages.add(new Message(json, whole));
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(new Closed(statusCode, reason));
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(new Closed(-1, String.valueOf(error)));
    }
  }
}
