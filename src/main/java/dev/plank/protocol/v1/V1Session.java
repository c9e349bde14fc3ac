package dev.plank.protocol.v1;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.auth.Authentication;
import dev.plank.auth.Policy;
import dev.plank.auth.Principal;
import dev.plank.capture.Position;
import dev.plank.capture.RowJson;
import dev.plank.hub.ChangeCodec;
import dev.plank.hub.Hub;
import dev.plank.hub.Refusal;
import dev.plank.hub.SubscribeRequest;
import dev.plank.hub.Subscriber;
import dev.plank.pubsub.PubSub;
import dev.plank.pubsub.PubSubCodec;
import dev.plank.pubsub.PubSubException;
import dev.plank.pubsub.TopicMember;
import dev.plank.ws.WsConnection;
import dev.plank.ws.WsHandler;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.List;

/**
 * One v1 client: reads its requests (on the connection's event loop) and hands them to the hub; the
 * hub calls back the {@link Subscriber} methods on its own context, and everything goes out through
 * the {@link WsConnection}. A bad request gets an {@code error} reply and never closes the
 * connection. Its one piece of mutable state, who it acts for ({@link SessionAuth}), is owned by
 * the connection's event loop: read {@link #principal()} there.
 */
final class V1Session implements WsHandler, Subscriber, TopicMember {
  private final WsConnection connection;
  private final Hub hub;
  private final ObjectMapper json;
  private final V1Codec codec;
  private final RequestReader reader = new RequestReader();
  private final SessionAuth auth; // owned by the connection's event loop
  private final Policy policy; // null: no policy, every channel and row may be read
  private final PubSub pubSub; // null: no broadcast and presence

  V1Session(
      WsConnection connection,
      Hub hub,
      ObjectMapper json,
      V1Codec codec,
      Authentication auth,
      Principal principal,
      Policy policy,
      PubSub pubSub) {
    this.policy = policy;
    this.pubSub = pubSub;
    this.connection = connection;
    this.hub = hub;
    this.json = json;
    this.codec = codec;
    this.auth =
        new SessionAuth(
            auth,
            principal,
            () -> connection.close((short) 1008, ErrorCode.UNAUTHORIZED.wireName()));
  }

  /**
   * Who this connection acts for now: the anonymous principal until a token was verified. Read it
   * on the connection's event loop (where requests are handled): a renewal replaces it there.
   */
  Principal principal() {
    return auth.principal();
  }

  @Override
  public void onText(String text) {
    JsonNode message;
    try {
      message = json.readTree(text);
    } catch (JsonProcessingException e) {
      error(null, ErrorCode.BAD_JSON, "message is not valid JSON: " + jsonProblem(e));
      return;
    }
    try {
      Request request = reader.read(message);
      if (costsOperation(request) && !connection.allowOperation()) {
        error(requestId(message), ErrorCode.RATE_LIMITED, connection.operationRateMessage());
        return;
      }
      if (request instanceof Request.Auth a) {
        authenticate(a);
      } else if (request instanceof Request.Ping p) {
        reply(p.id(), "pong", null);
      } else if (!auth.mayAct()) {
        error(
            requestId(message),
            ErrorCode.UNAUTHORIZED,
            "authenticate first: send {\"action\":\"auth\",\"token\":\"…\"}");
      } else if (request instanceof Request.Subscribe s) {
        auth.acted();
        subscribe(s.request());
      } else if (request instanceof Request.Unsubscribe u) {
        hub.unsubscribe(this, u.channel(), u.id());
      } else if (pubSub == null) {
        error(requestId(message), ErrorCode.UNKNOWN_ACTION, "broadcast and presence are off");
      } else {
        auth.acted();
        topics(request);
      }
    } catch (RequestException e) {
      error(e.id(), e.code(), e.getMessage());
    }
  }

  /** Requests that cost the hub or the cluster work: under {@code PLANK_SUBSCRIBE_RATE}. */
  private static boolean costsOperation(Request request) {
    return request instanceof Request.Subscribe
        || request instanceof Request.Unsubscribe
        || request instanceof Request.Join
        || request instanceof Request.Leave
        || request instanceof Request.Track
        || request instanceof Request.Untrack;
  }

  /**
   * Broadcast and presence. Replies are written in the callbacks, on the pubsub context, so that
   * {@code joined} precedes the topic's {@code presence_state}.
   */
  private void topics(Request request) {
    Principal who = principal();
    if (request instanceof Request.Join j) {
      pubSub.join(
          this,
          who,
          j.topic(),
          r -> done(r, j.id(), () -> topicReply(j.id(), "joined", j.topic())));
    } else if (request instanceof Request.Leave l) {
      pubSub.leave(
          this, l.topic(), r -> done(r, l.id(), () -> topicReply(l.id(), "left", l.topic())));
    } else if (request instanceof Request.Broadcast b) {
      pubSub.broadcast(
          this,
          who,
          b.topic(),
          b.event(),
          b.payload(),
          b.self(),
          r ->
              done(
                  r,
                  b.id(),
                  () -> {
                    if (b.ack()) topicReply(b.id(), "broadcasted", b.topic());
                  }));
    } else if (request instanceof Request.Track t) {
      pubSub.track(
          this,
          who,
          t.topic(),
          t.key(),
          t.state(),
          r ->
              done(
                  r,
                  t.id(),
                  () -> {
                    ObjectNode reply = json.createObjectNode().put("type", "tracked");
                    if (t.id() != null) reply.set("id", t.id());
                    write(reply.put("topic", t.topic()).put("key", r.result()));
                  }));
    } else if (request instanceof Request.Untrack u) {
      pubSub.untrack(
          this, u.topic(), r -> done(r, u.id(), () -> topicReply(u.id(), "untracked", u.topic())));
    }
  }

  private void done(AsyncResult<?> result, JsonNode id, Runnable reply) {
    if (result.succeeded()) {
      reply.run();
    } else if (result.cause() instanceof PubSubException p) {
      error(id, ErrorCode.of(p.error()), p.getMessage());
    } else {
      error(id, ErrorCode.UNAVAILABLE, "broadcast and presence are unavailable");
    }
  }

  private void topicReply(JsonNode id, String type, String topic) {
    ObjectNode reply = json.createObjectNode().put("type", type);
    if (id != null) reply.set("id", id);
    write(reply.put("topic", topic));
  }

  @Override
  public PubSubCodec topicCodec() {
    return codec;
  }

  /**
   * Under a policy, the request carries the principal's read bound for the channel; a channel it
   * may not read gets a bound that denies, and the hub answers it exactly as an unknown channel, in
   * the same order and words. The principal is the one in force now: a renewed token binds the
   * subscriptions made after it.
   */
  private void subscribe(SubscribeRequest request) {
    if (policy == null) hub.subscribe(this, request);
    else hub.subscribe(this, request.under(policy.read(principal(), request.channel())));
  }

  private void authenticate(Request.Auth request) {
    auth.authenticate(request.token())
        .onComplete(
            r -> {
              if (r.failed()) {
                error(
                    request.id(),
                    ErrorCode.UNAUTHORIZED,
                    "invalid token: " + r.cause().getMessage());
                return;
              }
              ObjectNode reply = json.createObjectNode().put("type", "authenticated");
              if (request.id() != null) reply.set("id", request.id());
              Instant expires = r.result().expiresAt();
              if (expires == null) reply.putNull("expires");
              else reply.put("expires", expires.getEpochSecond());
              write(reply);
            });
  }

  @Override
  public void onRateLimited(String text, String reason) {
    JsonNode id = null;
    if (text != null) {
      try {
        id = requestId(json.readTree(text));
      } catch (JsonProcessingException e) {
        // no id to echo
      }
    }
    error(id, ErrorCode.RATE_LIMITED, reason);
  }

  /** The request's id when it has a valid one, to echo in a refusal. */
  private static JsonNode requestId(JsonNode message) {
    JsonNode id = message == null ? null : message.get("id");
    return id != null && (id.isTextual() || id.isNumber()) ? id : null;
  }

  @Override
  public void onBinary(Buffer message) {
    error(null, ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text");
  }

  @Override
  public void onClose() {
    auth.close();
    hub.disconnect(this);
    if (pubSub != null) pubSub.disconnect(this);
  }

  /** Jackson's message without its advice on which Java method to call. */
  private static String jsonProblem(JsonProcessingException e) {
    return e.getOriginalMessage().replaceAll(", from `[^`]*`", "");
  }

  @Override
  public ChangeCodec codec() {
    return codec;
  }

  @Override
  public void send(byte[] frame) {
    connection.send(frame);
  }

  @Override
  public void snapshotPage(
      String channel, JsonNode id, List<RowJson> rows, boolean last, Position position) {
    send(codec.snapshotPage(channel, id, rows, last, position));
  }

  @Override
  public void resync(String channel, String reason) {
    write(
        json.createObjectNode()
            .put("type", "resync")
            .put("channel", channel)
            .put("reason", reason));
  }

  @Override
  public Future<Void> whenWritable() {
    return connection.whenWritable();
  }

  @Override
  public void tooSlow() {
    connection.tooSlow();
  }

  @Override
  public void subscribed(JsonNode id, String channel) {
    reply(id, "subscribed", channel);
  }

  @Override
  public void unsubscribed(JsonNode id, String channel) {
    reply(id, "unsubscribed", channel);
  }

  @Override
  public void rejected(JsonNode id, Refusal reason, String message) {
    error(id, ErrorCode.of(reason), message);
  }

  @Override
  public String address() {
    return connection.address();
  }

  @Override
  public boolean isOpen() {
    return connection.isOpen();
  }

  private void error(JsonNode id, ErrorCode code, String message) {
    ObjectNode error = json.createObjectNode().put("type", "error");
    if (id != null) error.set("id", id);
    error.put("code", code.wireName()).put("message", message);
    write(error);
  }

  private void reply(JsonNode id, String type, String channel) {
    ObjectNode reply = json.createObjectNode().put("type", type);
    if (id != null) reply.set("id", id);
    if (channel != null) reply.put("channel", channel);
    write(reply);
  }

  private void write(ObjectNode message) {
    send(codec.message(message));
  }
}
