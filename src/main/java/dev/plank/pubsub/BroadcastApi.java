package dev.plank.pubsub;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.plank.api.Problem;
import dev.plank.auth.Policy;
import dev.plank.auth.Principal;
import dev.plank.auth.Principals;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code POST /api/broadcast} with {@code {"topic", "event", "payload"}}: a broadcast from the
 * server to every member of the topic on every node; 202 once PostgreSQL took it for the other
 * nodes. Under a policy the caller needs the role's {@code topics.broadcast} grant for the topic.
 * Also Supabase's {@code POST /realtime/v1/api/broadcast} with {@code {"messages": [{"topic",
 * "event", "payload"}]}} (realtime-js falls back to it for a {@code send()} on a channel not yet
 * joined; its topic is the channel's name, as Plank's), and {@code POST
 * /realtime/v1/api/broadcast/{topic}/events/{event}} with the payload as the body ({@code
 * httpSend()}). Stateless: shared by every event loop's router.
 */
public final class BroadcastApi {
  private static final String PATH = "/api/broadcast";
  private static final String SUPABASE_PATH = "/realtime/v1/api/broadcast";
  private static final int MAX_MESSAGES = 100;

  private final PubSub pubSub;
  private final Policy policy; // null: every caller may broadcast
  private final ObjectReader reader;

  public BroadcastApi(PubSub pubSub, ObjectMapper json, Policy policy) {
    this.pubSub = pubSub;
    this.policy = policy;
    this.reader = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  public void mount(Router router) {
    router
        .post(PATH)
        .handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
        .handler(this::post);
    router
        .post(SUPABASE_PATH)
        .handler(BodyHandler.create(false).setBodyLimit(256 * 1024))
        .handler(this::postMessages);
    router
        .post(SUPABASE_PATH + "/:topic/events/:event")
        .handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
        .handler(this::postOne);
    router
        .route(PATH)
        .handler(
            ctx -> {
              ctx.response().putHeader("Allow", "POST");
              Problem.send(ctx, 405, "Method not allowed; use POST");
            });
  }

  /** A request body: its JSON (null when there is none), or not valid once 400 was answered. */
  private record Body(JsonNode json, boolean valid) {}

  private Body body(RoutingContext ctx) {
    try {
      return new Body(
          ctx.body().buffer() == null ? null : reader.readTree(ctx.body().asString()), true);
    } catch (java.io.IOException e) {
      Problem.send(ctx, 400, "The body is not valid JSON");
      return new Body(null, false);
    }
  }

  /** Answers 401 when a policy needs a token and the request has none. */
  private boolean refusedWithoutToken(RoutingContext ctx, Principal principal) {
    if (policy == null || !principal.claims().isEmpty() || policy.allowsAnonymous()) return false;
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    Problem.send(ctx, 401, "A token is required");
    return true;
  }

  private void post(RoutingContext ctx) {
    Body read = body(ctx);
    if (!read.valid()) return;
    JsonNode body = read.json();
    if (body == null || !body.isObject()) {
      Problem.send(ctx, 400, "The body must be a JSON object {\"topic\", \"event\", \"payload\"}");
      return;
    }
    JsonNode topic = body.get("topic");
    JsonNode event = body.get("event");
    if (topic == null || !topic.isTextual() || event == null || !event.isTextual()) {
      Problem.send(ctx, 422, "'topic' and 'event' are required (strings)");
      return;
    }
    Principal principal = Principals.of(ctx);
    if (refusedWithoutToken(ctx, principal)) return;
    JsonNode payload = body.get("payload");
    Context own = Vertx.currentContext();
    pubSub.broadcast(
        principal,
        topic.textValue(),
        event.textValue(),
        payload == null ? "null" : payload.toString(),
        r -> own.runOnContext(v -> respond(ctx, r.cause())));
  }

  /** Supabase's {@code httpSend()}: the topic and event in the path, the payload as the body. */
  private void postOne(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      Problem.send(ctx, 415, "Only JSON payloads are supported (Content-Type: application/json)");
      return;
    }
    Body read = body(ctx);
    if (!read.valid()) return;
    JsonNode payload = read.json();
    Principal principal = Principals.of(ctx);
    if (refusedWithoutToken(ctx, principal)) return;
    Context own = Vertx.currentContext();
    pubSub.broadcast(
        principal,
        ctx.pathParam("topic"),
        ctx.pathParam("event"),
        payload == null ? "null" : payload.toString(),
        r -> own.runOnContext(v -> respond(ctx, r.cause())));
  }

  /** Supabase's batch form: every message is sent; the first refusal, if any, is the answer. */
  private void postMessages(RoutingContext ctx) {
    Body read = body(ctx);
    if (!read.valid()) return;
    JsonNode body = read.json();
    JsonNode messages = body == null ? null : body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      Problem.send(
          ctx, 400, "The body must be {\"messages\": [{\"topic\", \"event\", \"payload\"}]}");
      return;
    }
    if (messages.size() > MAX_MESSAGES) {
      Problem.send(ctx, 413, "At most " + MAX_MESSAGES + " messages per request");
      return;
    }
    for (JsonNode m : messages) {
      if (!m.path("topic").isTextual() || !m.path("event").isTextual()) {
        Problem.send(ctx, 422, "each message needs 'topic' and 'event' (strings)");
        return;
      }
    }
    Principal principal = Principals.of(ctx);
    if (refusedWithoutToken(ctx, principal)) return;
    Context own = Vertx.currentContext();
    var left = new java.util.concurrent.atomic.AtomicInteger(messages.size());
    var first = new java.util.concurrent.atomic.AtomicReference<Throwable>();
    for (JsonNode m : messages) {
      JsonNode payload = m.get("payload");
      pubSub.broadcast(
          principal,
          m.path("topic").textValue(),
          m.path("event").textValue(),
          payload == null ? "null" : payload.toString(),
          r -> {
            if (r.failed()) first.compareAndSet(null, r.cause());
            if (left.decrementAndGet() == 0) own.runOnContext(v -> respond(ctx, first.get()));
          });
    }
  }

  private static void respond(RoutingContext ctx, Throwable failure) {
    if (failure == null) {
      ctx.response().setStatusCode(202).end();
      return;
    }
    if (!(failure instanceof PubSubException e)) {
      Problem.send(ctx, 503, "Broadcast is unavailable");
      return;
    }
    int status =
        switch (e.error()) {
          case FORBIDDEN -> 403;
          case TOO_LARGE -> 413;
          case UNAVAILABLE -> 503;
          case RATE_LIMITED -> 429;
          default -> 422;
        };
    Problem.send(ctx, status, e.getMessage());
  }
}
