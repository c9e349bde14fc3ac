package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.auth.Authentication;
import dev.plank.auth.Policy;
import dev.plank.auth.Principal;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import dev.plank.hub.Hub;
import dev.plank.pubsub.PubSub;
import dev.plank.pubsub.PubSubCodec;
import dev.plank.pubsub.TopicMember;
import dev.plank.ws.WsConnection;
import dev.plank.ws.WsHandler;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Supabase client connection: its joined channels by topic, heartbeats, joins, leaves and token
 * renewals. Everything here is owned by the connection's event loop ({@link #loop}); the hub's
 * answers reach each {@link PhoenixChannel} on the hub's context and come back here through {@link
 * #onLoop}.
 *
 * <p>The session is the connection's one {@link TopicMember} of {@link PubSub}: each channel joins
 * its topic (at most one channel per topic), so the per-connection limits of broadcast and presence
 * hold for a Supabase connection as for a v1 one.
 */
final class PhoenixSession implements WsHandler, TopicMember {
  private static final Logger log = LoggerFactory.getLogger(PhoenixSession.class);
  static final String TOPIC_PREFIX = "realtime:";

  /** What every session of the node shares. */
  record Shared(
      Hub hub,
      ObjectMapper json,
      Authentication auth,
      Policy policy,
      CodecRegistry codecs,
      PubSub pubSub, // null: broadcast and presence are refused
      TopicFrames topicFrames, // this connection's serializer's
      int maxSubscriptions) {}

  final WsConnection connection;
  final Serializer serializer;
  private final Shared shared;
  private final Context loop;
  private final Principal fromUpgrade; // null without a token on the upgrade
  private final String apikey; // the upgrade's verified apikey, or null
  private final Map<String, PhoenixChannel> channels = new HashMap<>(); // by topic
  private int subscriptions; // hub subscriptions of every channel, against the cap
  private boolean closed;

  PhoenixSession(
      WsConnection connection,
      Serializer serializer,
      Principal fromUpgrade,
      String apikey,
      Shared shared) {
    this.connection = connection;
    this.serializer = serializer;
    this.fromUpgrade = fromUpgrade;
    this.apikey = fromUpgrade == null || apikey == null || apikey.isEmpty() ? null : apikey;
    this.shared = shared;
    this.loop = Objects.requireNonNull(Vertx.currentContext(), "not on an event loop");
  }

  Shared shared() {
    return shared;
  }

  @Override
  public PubSubCodec topicCodec() {
    return shared.topicFrames();
  }

  @Override
  public void send(byte[] encoded) {
    connection.send(encoded);
  }

  @Override
  public String address() {
    return connection.address();
  }

  @Override
  public void onText(String text) {
    PhoenixMessage message;
    try {
      message = serializer.read(shared.json(), text);
    } catch (IllegalArgumentException e) {
      // Phoenix has no way to answer a message it cannot read: it is dropped.
      log.debug("Dropping an unreadable Phoenix message: {}", e.getMessage());
      return;
    }
    handle(message);
  }

  @Override
  public void onBinary(Buffer message) {
    if (serializer != Serializer.V2) return;
    try {
      handle(Serializer.readBinary(shared.json(), message.getBytes()));
    } catch (IllegalArgumentException e) {
      log.debug("Dropping an unreadable binary Phoenix message: {}", e.getMessage());
    }
  }

  @Override
  public void onRateLimited(String text, String reason) {
    if (text == null) return;
    try {
      PhoenixMessage message = serializer.read(shared.json(), text);
      if (message.ref() != null) {
        reply(message, "error", reason("Too many messages per second: " + reason));
      }
    } catch (IllegalArgumentException e) {
      // nothing to answer
    }
  }

  @Override
  public void onClose() {
    closed = true;
    for (PhoenixChannel channel : new ArrayList<>(channels.values())) channel.drop();
    channels.clear();
    if (shared.pubSub() != null) shared.pubSub().disconnect(this);
  }

  private void handle(PhoenixMessage message) {
    String topic = message.topic();
    String event = message.event();
    if ("phoenix".equals(topic)) {
      if ("heartbeat".equals(event)) reply(message, "ok", shared.json().createObjectNode());
      return;
    }
    if ("phx_join".equals(event)) {
      join(message);
      return;
    }
    PhoenixChannel channel = channels.get(topic);
    if (channel == null) {
      if (message.ref() != null) reply(message, "error", reason("unmatched topic"));
      return;
    }
    switch (event) {
      case "phx_leave" -> {
        reply(message, "ok", shared.json().createObjectNode());
        close(channel);
      }
      case "access_token" -> {
        if (!connection.allowOperation()) return;
        channel.renew(message.payload().path("access_token"));
      }
      default -> channel.onMessage(message);
    }
  }

  private void join(PhoenixMessage message) {
    String topic = message.topic();
    if (!connection.allowOperation()) {
      reply(message, "error", reason("ClientJoinRateLimitReached: Too many joins per second"));
      return;
    }
    if (!topic.startsWith(TOPIC_PREFIX)) {
      reply(message, "error", reason("unmatched topic"));
      return;
    }
    if (topic.length() == TOPIC_PREFIX.length()) {
      reply(message, "error", reason("TopicNameRequired: You must provide a topic name"));
      return;
    }
    // Joining a topic again replaces its channel, as Phoenix does.
    PhoenixChannel previous = channels.get(topic);
    if (previous != null) close(previous);

    JsonNode config = message.payload().path("config");
    List<PostgresBinding> bindings = new ArrayList<>();
    try {
      JsonNode changes = config.path("postgres_changes");
      if (!changes.isMissingNode() && !changes.isNull()) {
        if (!changes.isArray())
          throw new IllegalArgumentException("postgres_changes must be a list");
        for (JsonNode entry : changes) bindings.add(PostgresBinding.of(entry));
      }
    } catch (IllegalArgumentException e) {
      reply(message, "error", reason("InvalidJoinPayload: " + e.getMessage()));
      return;
    }
    Map<PostgresBinding, List<String>> tables;
    try {
      tables = expand(bindings);
    } catch (IllegalStateException e) {
      reply(message, "error", reason(e.getMessage()));
      return;
    }
    int wanted = Math.max(1, tables.values().stream().mapToInt(List::size).sum());
    if (subscriptions + wanted > shared.maxSubscriptions()) {
      reply(
          message,
          "error",
          reason(
              "ChannelRateLimitReached: a connection may hold at most "
                  + shared.maxSubscriptions()
                  + " postgres_changes subscriptions"));
      return;
    }
    JsonNode tokenNode = message.payload().path("access_token");
    String token =
        tokenNode.isTextual() && !tokenNode.asText().isEmpty() ? tokenNode.asText() : null;
    PhoenixChannel channel =
        new PhoenixChannel(
            this, topic, message.joinRef(), message.ref(), config, bindings, tables, wanted);
    channels.put(topic, channel);
    subscriptions += wanted;
    principalFor(token)
        .onComplete(
            r -> {
              if (closed || channels.get(topic) != channel) return;
              if (r.failed()) {
                reply(message, "error", reason(r.cause().getMessage()));
                forget(channel);
                return;
              }
              channel.start(r.result(), token);
            });
  }

  /**
   * Who a join acts for: its {@code access_token} (Supabase sends the user's session token, or the
   * key), else the upgrade's. Fails with the Supabase refusal as its message.
   */
  private Future<Principal> principalFor(String token) {
    Authentication auth = shared.auth();
    if (!auth.tokensOn()) return Future.succeededFuture(Principal.anonymous());
    if (token == null || token.equals(apikey)) {
      if (fromUpgrade != null) return Future.succeededFuture(fromUpgrade);
      if (auth.tokenRequired()) {
        return Future.failedFuture(
            new IllegalStateException("InvalidJWTToken: this server requires a token"));
      }
      return Future.succeededFuture(Principal.anonymous());
    }
    return auth.verifyHere(token)
        .recover(
            e ->
                Future.failedFuture(
                    new IllegalStateException(Reasons.token(token, e.getMessage()))));
  }

  /**
   * The captured tables each distinct binding covers (a binding listed twice is subscribed once),
   * by channel name. A binding naming one table keeps it even when it is not captured: the hub
   * refuses it, in its own words.
   *
   * @throws IllegalStateException with the refusal when a binding covers nothing
   */
  private Map<PostgresBinding, List<String>> expand(List<PostgresBinding> bindings) {
    Map<PostgresBinding, List<String>> out = new LinkedHashMap<>();
    for (PostgresBinding binding : bindings) {
      if (binding.namesOneTable()) {
        out.put(binding, List.of(new TableRef(binding.schema(), binding.table()).channel()));
        continue;
      }
      Map<String, TableInfo> catalog = shared.hub().catalog();
      if (catalog == null) {
        throw new IllegalStateException(
            "InitializingProjectConnection: Connecting to the project database");
      }
      List<String> matching = new ArrayList<>();
      catalog.forEach(
          (name, info) -> {
            if ("*".equals(binding.schema()) || info.ref().schema().equals(binding.schema())) {
              matching.add(name);
            }
          });
      matching.sort(null);
      if (matching.isEmpty()) {
        throw new IllegalStateException(
            "RealtimeDisabledForConfiguration: no captured table in schema '"
                + binding.schema()
                + "'");
      }
      out.put(binding, matching);
    }
    return out;
  }

  /** Leaves a channel: its {@code phx_close}, then its subscriptions end. */
  void close(PhoenixChannel channel) {
    push(channel.topic, channel.joinRef, "phx_close", shared.json().createObjectNode());
    forget(channel);
  }

  /** Ends a channel without a word to the client (its refusal or notice was sent). */
  void forget(PhoenixChannel channel) {
    if (channels.get(channel.topic) == channel) {
      channels.remove(channel.topic);
      subscriptions -= channel.subscriptionCount;
    }
    channel.drop();
  }

  /** Runs on the connection's event loop: the hub's callbacks come back here. */
  void onLoop(Runnable task) {
    loop.runOnContext(v -> task.run());
  }

  ObjectNode reason(String text) {
    return shared.json().createObjectNode().put("reason", text);
  }

  void reply(PhoenixMessage to, String status, JsonNode response) {
    reply(to.topic(), to.joinRef(), to.ref(), status, response);
  }

  void reply(String topic, String joinRef, String ref, String status, JsonNode response) {
    ObjectNode payload = shared.json().createObjectNode().put("status", status);
    payload.set("response", response);
    connection.send(serializer.frame(shared.json(), joinRef, ref, topic, "phx_reply", payload));
  }

  void push(String topic, String joinRef, String event, JsonNode payload) {
    connection.send(serializer.frame(shared.json(), joinRef, null, topic, event, payload));
  }
}
