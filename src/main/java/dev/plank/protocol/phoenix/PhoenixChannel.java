package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.auth.Authentication;
import dev.plank.auth.Principal;
import dev.plank.capture.Position;
import dev.plank.capture.RowJson;
import dev.plank.hub.ChangeCodec;
import dev.plank.hub.Refusal;
import dev.plank.hub.SubscribeRequest;
import dev.plank.hub.Subscriber;
import dev.plank.pubsub.PubSub;
import dev.plank.pubsub.PubSubError;
import dev.plank.pubsub.PubSubException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One joined topic of a connection, with its {@code postgres_changes} bindings, each a hub {@link
 * Subscriber} of the tables it covers, and its share of broadcast and presence: the connection's
 * {@link PhoenixSession} is a member of the {@link PubSub} topic named by the channel's name.
 *
 * <p>The join is answered only once the hub has confirmed every subscription, so a change committed
 * after {@code SUBSCRIBED} always arrives; likewise it waits for the pub/sub topic's join, so a
 * broadcast sent after {@code SUBSCRIBED} arrives too. The answer and every change are written from
 * the hub's context, in the hub's order: no change can overtake the reply. Threads: the fields
 * marked "hub" are owned by the hub's context; the others by the connection's event loop.
 */
final class PhoenixChannel {
  private static final Set<String> TIME_CLAIMS = Set.of("exp", "iat", "nbf", "jti");

  final String topic;
  final String joinRef;
  final int subscriptionCount; // counted against the connection's cap
  private final PhoenixSession session;
  private final String joinMessageRef;
  private final JsonNode config;
  private final List<PostgresBinding> specs; // as the join listed them, echoed in its reply
  private final List<Binding> bindings = new ArrayList<>(); // one per distinct binding
  private final boolean self; // broadcasts come back to their sender
  private final boolean ack; // broadcasts are answered once sent
  private final String presenceKey; // null: the connection's own id
  private final boolean presenceEnabled; // the join asked for the presence state
  private boolean joinRequested; // the pub/sub topic was asked for (left on drop)
  private volatile boolean inTopic; // the pub/sub topic was joined; read on the hub's context
  private volatile Principal principal; // written on the event loop; read by replies anywhere
  private String token; // the token the channel acts on, null for the upgrade's or none
  private long expiry = -1; // the token's expiry timer
  private int generation; // bumped by each re-subscription under a renewed identity
  private volatile boolean dropped; // read by the hub through isOpen

  private int pending; // hub: subscriptions of the join not yet confirmed
  private boolean answered; // hub: the join was answered, ok or error

  PhoenixChannel(
      PhoenixSession session,
      String topic,
      String joinRef,
      String joinMessageRef,
      JsonNode config,
      List<PostgresBinding> specs,
      Map<PostgresBinding, List<String>> tables,
      int subscriptionCount) {
    this.specs = List.copyOf(specs);
    this.session = session;
    this.topic = topic;
    this.joinRef = joinRef;
    this.joinMessageRef = joinMessageRef;
    this.config = config;
    this.subscriptionCount = subscriptionCount;
    tables.forEach((binding, channels) -> bindings.add(new Binding(binding, channels)));
    JsonNode broadcast = config.path("broadcast");
    this.self = broadcast.path("self").asBoolean(false);
    this.ack = broadcast.path("ack").asBoolean(false);
    String key = config.path("presence").path("key").asText("");
    this.presenceKey = key.isBlank() ? null : key;
    this.presenceEnabled = config.path("presence").path("enabled").asBoolean(false);
  }

  String channelName() {
    return topic.substring(PhoenixSession.TOPIC_PREFIX.length());
  }

  /**
   * Joins the pub/sub topic, then subscribes every binding under the join's principal; the hub's
   * confirmations answer the join. Under a policy a channel may only join a topic its {@code
   * topics.join} grant names: without it, a channel with {@code postgres_changes} still gets its
   * changes (but no broadcast or presence), and one without is refused.
   */
  void start(Principal principal, String token) {
    this.principal = principal;
    this.token = token;
    scheduleExpiry();
    PubSub pubSub = session.shared().pubSub();
    if (pubSub == null) {
      subscribe();
      return;
    }
    String name = channelName();
    var policy = session.shared().policy();
    if (policy != null && !policy.mayJoin(principal, name)) {
      if (specs.isEmpty()) {
        session.reply(topic, joinRef, joinMessageRef, "error", session.reason(unauthorized()));
        session.forget(this);
      } else {
        subscribe();
      }
      return;
    }
    joinRequested = true;
    pubSub.join(
        session,
        principal,
        name,
        false, // the state follows the join's answer, as Supabase sends it
        r ->
            session.onLoop(
                () -> {
                  if (dropped) return;
                  if (r.failed()) {
                    session.reply(
                        topic, joinRef, joinMessageRef, "error", session.reason(reason(r.cause())));
                    session.forget(this);
                    return;
                  }
                  inTopic = true;
                  subscribe();
                }));
  }

  private String unauthorized() {
    return "Unauthorized: You do not have permissions to read from this Channel topic: "
        + channelName();
  }

  /** A refusal of the pub/sub component, in Supabase's form. */
  private static String reason(Throwable cause) {
    if (cause instanceof PubSubException e && e.error() == PubSubError.FORBIDDEN) {
      return "Unauthorized: " + e.getMessage();
    }
    return cause.getMessage() == null ? "Internal error" : cause.getMessage();
  }

  private void subscribe() {
    int requests = 0;
    for (Binding binding : bindings) requests += binding.channels.size();
    pending = requests; // published to the hub's context by the subscribe requests below
    if (requests == 0) {
      answered = true; // no hub callback will come for this channel
      answerOk();
      return;
    }
    subscribeAll();
  }

  private void subscribeAll() {
    int gen = generation;
    for (Binding binding : bindings) {
      for (String channel : binding.channels) {
        SubscribeRequest request =
            new SubscribeRequest(
                IntNode.valueOf(gen),
                channel,
                binding.spec.events(),
                binding.spec.filter(),
                null,
                false);
        var policy = session.shared().policy();
        session
            .shared()
            .hub()
            .subscribe(
                binding, policy == null ? request : request.under(policy.read(principal, channel)));
      }
    }
  }

  /** The join's ok, with the bindings' ids, and the system message Supabase sends once ready. */
  private void answerOk() {
    ArrayNode changes = session.shared().json().createArrayNode();
    for (PostgresBinding spec : specs) {
      ObjectNode entry = changes.addObject().put("id", spec.id()).put("event", spec.event());
      entry.put("schema", spec.schema());
      if (spec.table() != null) entry.put("table", spec.table());
      if (spec.filter() != null) entry.put("filter", spec.filter());
    }
    ObjectNode response = session.shared().json().createObjectNode();
    response.set("postgres_changes", changes);
    session.reply(topic, joinRef, joinMessageRef, "ok", response);
    if (!specs.isEmpty()) {
      system("postgres_changes", "ok", "Subscribed to PostgreSQL");
    }
    if (config.path("broadcast").path("replication_ready").asBoolean(false)) {
      system("system", "ok", "Replication connection established");
    }
    if (presenceEnabled && inTopic) session.shared().pubSub().sendState(session, channelName());
  }

  private void system(String extension, String status, String message) {
    ObjectNode payload =
        session
            .shared()
            .json()
            .createObjectNode()
            .put("extension", extension)
            .put("status", status)
            .put("message", message)
            .put("channel", channelName());
    session.push(topic, joinRef, "system", payload);
  }

  // ---- the hub's answers, on the hub's context ----

  private void confirmed(JsonNode id) {
    if (answered || dropped || id.asInt() != 0) return;
    if (--pending == 0) {
      answered = true;
      answerOk();
    }
  }

  private void refused(Binding binding, JsonNode id, Refusal reason, String message) {
    if (dropped) return;
    // A schema-wide binding skips the tables the policy hides, as if they were not captured.
    if (reason == Refusal.UNKNOWN_CHANNEL && !binding.spec.namesOneTable()) {
      confirmed(id);
      return;
    }
    if (!answered && id.asInt() == 0) {
      answered = true;
      String code =
          reason == Refusal.UNKNOWN_CHANNEL || reason == Refusal.BAD_FILTER
              ? "RealtimeDisabledForConfiguration: "
              : reason == Refusal.TOO_MANY_SUBSCRIPTIONS ? "ChannelRateLimitReached: " : "";
      session.reply(topic, joinRef, joinMessageRef, "error", session.reason(code + message));
      session.onLoop(() -> session.forget(this));
    } else if (answered) {
      // A renewed identity may no longer read what the old one did.
      shutdown("Unable to subscribe to changes with the renewed token: " + message);
    }
  }

  // ---- client messages, on the event loop ----

  void onMessage(PhoenixMessage message) {
    PubSub pubSub = session.shared().pubSub();
    String event = message.event();
    if (pubSub == null || !("broadcast".equals(event) || "presence".equals(event))) {
      if (message.ref() != null) {
        session.reply(message, "error", session.reason("'" + event + "' is not available here"));
      }
      return;
    }
    if ("broadcast".equals(event)) broadcast(pubSub, message);
    else presence(pubSub, message);
  }

  /**
   * A client's {@code broadcast} ({@code {type, event, payload}}, or vsn 2.0.0's binary push):
   * answered only under the join's {@code ack}, as Supabase does.
   */
  private void broadcast(PubSub pubSub, PhoenixMessage message) {
    String ref = ack ? message.ref() : null;
    JsonNode payload = message.payload();
    JsonNode event = payload.path("event");
    JsonNode body = payload.path("payload");
    if (!inTopic) {
      answer(ref, Future.failedFuture(new IllegalStateException(unauthorized())));
      return;
    }
    if (!event.isTextual()) {
      answer(ref, Future.failedFuture(new IllegalStateException("a broadcast needs an event")));
      return;
    }
    if (body.isBinary()) {
      answer(
          ref,
          Future.failedFuture(
              new IllegalStateException("binary broadcast payloads are not supported here")));
      return;
    }
    String text = body.isMissingNode() ? "{}" : body.toString();
    pubSub.broadcast(
        session, principal, channelName(), event.asText(), text, self, r -> answer(ref, r));
  }

  /** {@code presence} {@code {event: "track", payload}} or {@code {event: "untrack"}}. */
  private void presence(PubSub pubSub, PhoenixMessage message) {
    String ref = message.ref();
    JsonNode payload = message.payload();
    if (!inTopic) {
      answer(ref, Future.failedFuture(new IllegalStateException(unauthorized())));
      return;
    }
    // As /ws's track and untrack: they count against the connection's PLANK_SUBSCRIBE_RATE.
    if (!session.connection.allowOperation()) {
      answer(
          ref,
          Future.failedFuture(
              new IllegalStateException(
                  "PresenceRateLimitReached: too many presence messages per second")));
      return;
    }
    switch (payload.path("event").asText("")) {
      case "track" -> {
        JsonNode state = payload.path("payload");
        if (!state.isMissingNode() && !state.isNull() && !state.isObject()) {
          answer(
              ref, Future.failedFuture(new IllegalStateException("a presence must be an object")));
          return;
        }
        ObjectNode meta =
            state.isObject() ? (ObjectNode) state : session.shared().json().createObjectNode();
        pubSub.track(
            session,
            principal,
            channelName(),
            presenceKey,
            meta,
            r -> answer(ref, r.map((Void) null)));
      }
      case "untrack" -> pubSub.untrack(session, channelName(), r -> answer(ref, r));
      default ->
          answer(
              ref,
              Future.failedFuture(
                  new IllegalStateException("presence event must be 'track' or 'untrack'")));
    }
  }

  /** Replies to a message that carried a ref; any thread. */
  private void answer(String ref, AsyncResult<?> result) {
    if (ref == null || dropped) return;
    if (result.succeeded()) {
      session.reply(topic, joinRef, ref, "ok", session.shared().json().createObjectNode());
    } else {
      session.reply(topic, joinRef, ref, "error", session.reason(reason(result.cause())));
    }
  }

  /**
   * A renewed token ({@code access_token}): the same identity extends the channel's life; another
   * one re-subscribes every binding under its own policy bound, replacing the old subscriptions in
   * place (the hub swaps them atomically, so nothing is lost or repeated). A bad token ends the
   * channel, as Supabase does.
   */
  void renew(JsonNode value) {
    if (!value.isTextual() || value.asText().isEmpty() || value.asText().equals(token)) return;
    Authentication auth = session.shared().auth();
    if (!auth.tokensOn() || principal == null) return;
    String fresh = value.asText();
    auth.verifyHere(fresh)
        .onComplete(
            r -> {
              if (dropped) return;
              if (r.failed()) {
                shutdown(Reasons.token(fresh, r.cause().getMessage()));
                return;
              }
              Principal before = principal;
              principal = r.result();
              token = fresh;
              scheduleExpiry();
              var policy = session.shared().policy();
              if (inTopic && policy != null && !policy.mayJoin(principal, channelName())) {
                shutdown(unauthorized());
                return;
              }
              if (!sameIdentity(before, principal) && !bindings.isEmpty()) {
                generation++;
                subscribeAll();
              }
            });
  }

  private static boolean sameIdentity(Principal a, Principal b) {
    if (!Objects.equals(a.role(), b.role())) return false;
    Map<String, Object> left = new HashMap<>(a.claims());
    Map<String, Object> right = new HashMap<>(b.claims());
    left.keySet().removeAll(TIME_CLAIMS);
    right.keySet().removeAll(TIME_CLAIMS);
    return left.equals(right);
  }

  /** The token's expiry ends the channel (not the connection), as Supabase's does. */
  private void scheduleExpiry() {
    cancelExpiry();
    Instant expires = principal.expiresAt();
    Authentication auth = session.shared().auth();
    if (expires == null || !auth.tokensOn()) return;
    Instant end = expires.plus(auth.verifier().leeway());
    long ms = Math.max(1, Duration.between(Instant.now(), end).toMillis());
    Vertx vertx = Vertx.currentContext().owner();
    expiry =
        vertx.setTimer(
            ms,
            id -> {
              if (id != expiry || dropped) return;
              expiry = -1;
              shutdown("Token has expired 0 seconds ago");
            });
  }

  private void cancelExpiry() {
    if (expiry != -1) {
      Vertx.currentContext().owner().cancelTimer(expiry);
      expiry = -1;
    }
  }

  /**
   * Ends the channel with Supabase's {@code system} error and {@code phx_close}. Any thread: the
   * two messages are queued in order, the bookkeeping runs on the event loop.
   */
  private void shutdown(String message) {
    system("system", "error", message);
    session.onLoop(() -> session.close(this));
  }

  /** Its subscriptions end and its features are told; idempotent. On the event loop. */
  void drop() {
    if (dropped) return;
    dropped = true;
    cancelExpiry();
    for (Binding binding : bindings) binding.release();
    // Asked even before the join's answer: the pub/sub context takes requests in order, so a
    // channel joined next on the same topic is not undone by this one's leave.
    if (joinRequested) session.shared().pubSub().leave(session, channelName(), r -> {});
  }

  /** One binding: a hub subscriber for the tables it covers, with its shared encoding. */
  private final class Binding implements Subscriber {
    final PostgresBinding spec;
    final List<String> channels;
    private final ChangeFrames codec;

    Binding(PostgresBinding spec, List<String> channels) {
      this.spec = spec;
      this.channels = List.copyOf(channels);
      this.codec = session.shared().codecs().acquire(session.serializer, topic, spec.id());
    }

    void release() {
      session.shared().hub().disconnect(this);
      session.shared().codecs().release(session.serializer, topic, spec.id());
    }

    @Override
    public ChangeCodec codec() {
      return codec;
    }

    @Override
    public void send(byte[] encoded) {
      // Before the join's answer the client does not know the binding's id yet.
      if (answered && !dropped) session.connection.send(encoded);
    }

    @Override
    public void snapshotPage(
        String channel, JsonNode id, List<RowJson> rows, boolean last, Position position) {
      // Never asked for: a join subscribes from now on.
    }

    @Override
    public void subscribed(JsonNode id, String channel) {
      confirmed(id);
    }

    @Override
    public void unsubscribed(JsonNode id, String channel) {}

    @Override
    public void rejected(JsonNode id, Refusal reason, String message) {
      refused(this, id, reason, message);
    }

    /**
     * Changes may have been missed (a truncate, a change too large to send): Supabase clients have
     * no resync, so they hear of it as a system error and reload if they listen for it.
     */
    @Override
    public void resync(String channel, String reason) {
      if (answered && !dropped) {
        system(
            "postgres_changes",
            "error",
            "changes to " + channel + " may have been missed (" + reason + "): reload its rows");
      }
    }

    @Override
    public Future<Void> whenWritable() {
      return session.connection.whenWritable();
    }

    @Override
    public void tooSlow() {
      session.connection.tooSlow();
    }

    @Override
    public String address() {
      return session.connection.address();
    }

    @Override
    public boolean isOpen() {
      return !dropped && session.connection.isOpen();
    }
  }
}
