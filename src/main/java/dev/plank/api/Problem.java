package dev.plank.api;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Error responses as RFC 9457 problem details, so every client parses failures the same way. */
public final class Problem {
  static final String CONTENT_TYPE = "application/problem+json";

  private Problem() {}

  /** Ends the response with {@code {type, title, status, detail}}. */
  public static void send(RoutingContext ctx, int status, String detail) {
    end(ctx, body(status, detail));
  }

  /** A 422 naming every invalid field, so a client can fix them all in one round trip. */
  static void invalid(RoutingContext ctx, List<FieldError> errors) {
    JsonArray list = new JsonArray();
    for (FieldError error : errors) {
      list.add(new JsonObject().put("field", error.field()).put("message", error.message()));
    }
    String detail =
        (errors.size() == 1 ? "Invalid field: " : "Invalid fields: ")
            + String.join(", ", errors.stream().map(FieldError::field).distinct().toList());
    end(ctx, body(422, detail).put("errors", list));
  }

  private static JsonObject body(int status, String detail) {
    return new JsonObject()
        .put("type", "about:blank")
        .put("title", HttpResponseStatus.valueOf(status).reasonPhrase())
        .put("status", status)
        .put("detail", detail);
  }

  private static void end(RoutingContext ctx, JsonObject problem) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) return;
    if (response.headWritten()) {
      // Too late to change the status: cutting the connection at least tells the client that the
      // body it received is incomplete.
      ctx.request().connection().close();
      return;
    }
    response
        .setStatusCode(problem.getInteger("status"))
        .putHeader("Content-Type", CONTENT_TYPE)
        .end(problem.encode());
  }
}
