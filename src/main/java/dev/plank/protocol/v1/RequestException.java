package dev.plank.protocol.v1;

import com.fasterxml.jackson.databind.JsonNode;

/** A request the server will not act on; becomes an {@code error} reply. */
final class RequestException extends Exception {
  private final transient JsonNode id;
  private final ErrorCode code;

  RequestException(JsonNode id, ErrorCode code, String message) {
    super(message, null, false, false);
    this.id = id;
    this.code = code;
  }

  JsonNode id() {
    return id;
  }

  ErrorCode code() {
    return code;
  }
}
