package dev.plank.ws;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.Change;
import dev.plank.hub.ErrorCode;
import dev.plank.hub.SubscribeRequest;
import java.util.EnumSet;
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
      default ->
          throw new RequestException(
              id,
              ErrorCode.UNKNOWN_ACTION,
              "unknown action '"
                  + shorten(action.textValue())
                  + "' (expected subscribe, unsubscribe or ping)");
    };
  }

  private Request subscribe(JsonNode id, JsonNode message) throws RequestException {
    for (String unsupported : new String[] {"since", "snapshot"}) {
      if (message.hasNonNull(unsupported)) {
        throw new RequestException(
            id, ErrorCode.BAD_REQUEST, "'" + unsupported + "' is not supported by this server yet");
      }
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
            filter == null || filter.isNull() ? null : filter.textValue()));
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
    if (events == null || events.isNull()) return EnumSet.allOf(Change.Op.class);
    String expected = "'events' must be a non-empty list of INSERT, UPDATE, DELETE";
    if (!events.isArray() || events.isEmpty()) {
      throw new RequestException(id, ErrorCode.BAD_REQUEST, expected);
    }
    EnumSet<Change.Op> ops = EnumSet.noneOf(Change.Op.class);
    for (JsonNode event : events) {
      try {
        ops.add(Change.Op.valueOf(event.asText("").toUpperCase()));
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
