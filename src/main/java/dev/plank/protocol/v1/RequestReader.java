package dev.plank.protocol.v1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.capture.Change;
import dev.plank.capture.Position;
import dev.plank.hub.SubscribeRequest;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** Checks the shape of a client message and turns it into a {@link Request}. */
final class RequestReader {
  private static final int MAX_CHANNEL_LENGTH = 200;

  Request read(JsonNode message) throws RequestException {
    if (!message.isObject()) {
      throw new RequestException(null, ErrorCode.BAD_REQUEST, "a message must be a JSON object");
    }
    JsonNode id = message.get("id");
    if (id != null && !id.isTextual() && !id.isNumber()) {
      throw new RequestException(null, ErrorCode.BAD_REQUEST, "'id' must be a string or a number");
    }
    JsonNode action = message.get("action");
    if (action == null || !action.isTextual()) {
      throw new RequestException(id, ErrorCode.BAD_REQUEST, "'action' is required (a string)");
    }
    return switch (action.textValue()) {
      case "subscribe" -> subscribe(id, message);
      case "unsubscribe" -> new Request.Unsubscribe(id, channel(id, message));
      case "ping" -> new Request.Ping(id);
      case "auth" -> new Request.Auth(id, token(id, message.get("token")));
      case "join" -> new Request.Join(id, name(id, message, "topic"));
      case "leave" -> new Request.Leave(id, name(id, message, "topic"));
      case "broadcast" -> broadcast(id, message);
      case "track" -> track(id, message);
      case "untrack" -> new Request.Untrack(id, name(id, message, "topic"));
      default ->
          throw new RequestException(
              id,
              ErrorCode.UNKNOWN_ACTION,
              "unknown action '"
                  + shorten(action.textValue())
                  + "' (expected subscribe, unsubscribe, ping, auth, join, leave, broadcast, track"
                  + " or untrack)");
    };
  }

  private Request subscribe(JsonNode id, JsonNode message) throws RequestException {
    Position since = since(id, message.get("since"));
    boolean snapshot = snapshot(id, message.get("snapshot"));
    if (since != null && snapshot) {
      throw new RequestException(
          id, ErrorCode.BAD_REQUEST, "use 'since' to resume or 'snapshot' to start over, not both");
    }
    JsonNode filter = message.get("filter");
    if (filter != null && !filter.isNull() && !filter.isTextual()) {
      throw new RequestException(id, ErrorCode.BAD_REQUEST, "'filter' must be a string");
    }
    return new Request.Subscribe(
        new SubscribeRequest(
            id,
            channel(id, message),
            events(id, message.get("events")),
            filter == null || filter.isNull() ? null : filter.textValue(),
            since,
            snapshot));
  }

  private static Request broadcast(JsonNode id, JsonNode message) throws RequestException {
    JsonNode payload = message.get("payload");
    return new Request.Broadcast(
        id,
        name(id, message, "topic"),
        name(id, message, "event"),
        payload == null ? "null" : payload.toString(),
        flag(id, message, "self"),
        flag(id, message, "ack"));
  }

  private static Request track(JsonNode id, JsonNode message) throws RequestException {
    JsonNode state = message.get("state");
    if (state != null && !state.isNull() && !state.isObject()) {
      throw new RequestException(id, ErrorCode.BAD_REQUEST, "'state' must be a JSON object");
    }
    JsonNode key = message.get("key");
    return new Request.Track(
        id,
        name(id, message, "topic"),
        key == null || key.isNull() ? null : name(id, message, "key"),
        state instanceof ObjectNode o ? o : JsonNodeFactory.instance.objectNode());
  }

  private static boolean flag(JsonNode id, JsonNode message, String field) throws RequestException {
    JsonNode value = message.get(field);
    if (value == null || value.isNull()) return false;
    if (!value.isBoolean()) {
      throw new RequestException(
          id, ErrorCode.BAD_REQUEST, "'" + field + "' must be true or false");
    }
    return value.booleanValue();
  }

  /** A topic, event or presence key: a non-blank string of at most 200 characters. */
  private static String name(JsonNode id, JsonNode message, String field) throws RequestException {
    JsonNode value = message.get(field);
    if (value == null || !value.isTextual() || value.textValue().isBlank()) {
      throw new RequestException(
          id, ErrorCode.BAD_REQUEST, "'" + field + "' is required (a string)");
    }
    if (value.textValue().length() > MAX_CHANNEL_LENGTH) {
      throw new RequestException(
          id,
          ErrorCode.BAD_REQUEST,
          "'" + field + "' is longer than " + MAX_CHANNEL_LENGTH + " characters");
    }
    return value.textValue();
  }

  private static String token(JsonNode id, JsonNode token) throws RequestException {
    if (token == null || !token.isTextual() || token.textValue().isEmpty()) {
      throw new RequestException(id, ErrorCode.BAD_REQUEST, "'token' is required (a string)");
    }
    return token.textValue();
  }

  private static Position since(JsonNode id, JsonNode since) throws RequestException {
    if (since == null || since.isNull()) return null;
    try {
      if (since.isTextual()) return Position.parse(since.textValue());
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw new RequestException(
        id,
        ErrorCode.BAD_REQUEST,
        "'since' must be a cursor string like \"1043.9931\", taken from a change's 'cursor' (got "
            + shorten(since.toString())
            + ")");
  }

  private static boolean snapshot(JsonNode id, JsonNode snapshot) throws RequestException {
    if (snapshot == null || snapshot.isNull()) return false;
    if (!snapshot.isBoolean()) {
      throw new RequestException(id, ErrorCode.BAD_REQUEST, "'snapshot' must be true or false");
    }
    return snapshot.booleanValue();
  }

  private static String channel(JsonNode id, JsonNode message) throws RequestException {
    JsonNode channel = message.get("channel");
    if (channel == null || !channel.isTextual() || channel.textValue().isBlank()) {
      throw new RequestException(id, ErrorCode.BAD_REQUEST, "'channel' is required (a string)");
    }
    if (channel.textValue().length() > MAX_CHANNEL_LENGTH) {
      throw new RequestException(
          id,
          ErrorCode.BAD_REQUEST,
          "'channel' is longer than " + MAX_CHANNEL_LENGTH + " characters");
    }
    return channel.textValue();
  }

  private static Set<Change.Op> events(JsonNode id, JsonNode events) throws RequestException {
    if (events == null || events.isNull())
      return EnumSet.of(Change.Op.INSERT, Change.Op.UPDATE, Change.Op.DELETE);
    String expected = "'events' must be a non-empty list of INSERT, UPDATE, DELETE";
    if (!events.isArray() || events.isEmpty()) {
      throw new RequestException(id, ErrorCode.BAD_REQUEST, expected);
    }
    EnumSet<Change.Op> ops = EnumSet.noneOf(Change.Op.class);
    for (JsonNode event : events) {
      try {
        Change.Op op = Change.Op.valueOf(event.asText("").toUpperCase(Locale.ROOT));
        // A TRUNCATE always reaches its subscribers (as resync); it is not an event to choose.
        if (op == Change.Op.TRUNCATE) throw new IllegalArgumentException("not an event");
        ops.add(op);
      } catch (IllegalArgumentException e) {
        throw new RequestException(
            id, ErrorCode.BAD_REQUEST, expected + " (got " + shorten(event.toString()) + ")");
      }
    }
    return ops;
  }

  private static String shorten(String text) {
    return text.length() <= 60 ? text : text.substring(0, 60) + "…";
  }
}
