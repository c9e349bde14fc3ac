package dev.plank.pubsub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.auth.Policy;
import dev.plank.auth.Principal;
import dev.plank.config.PubSubSettings;
import dev.plank.metrics.PlankMetrics;
import dev.plank.ws.TokenBucket;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Broadcast and presence on topics, for any protocol: members join topics, send broadcasts to them
 * and track their presence in them; every member of the topic on every node gets them, each message
 * encoded once per {@link PubSubCodec}. Between nodes they travel through PostgreSQL ({@link
 * PubSubBus}); a node's heartbeat there tells the others when it died.
 *
 * <p>All state is owned by {@link #context}, a context of its own; the public methods may be called
 * from any thread, and call their {@code done} handler on it, before anything else is sent to the
 * member for that request (so a reply written there precedes, say, the presence state).
 */
public final class PubSub {
  private static final Logger log = LoggerFactory.getLogger(PubSub.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_NAME = 200;
  // A node that cannot read the cluster's presence this long after its start reports ready anyway:
  // its members then get the other nodes' entries as a diff once the table answers.
  private static final long FIRST_LOAD_WAIT_MS = 10_000;

  private final Context context;
  private final Vertx vertx;
  private final ObjectMapper json;
  private final PubSubSettings limits;
  private final Policy policy; // null: every principal may do everything
  private final PlankMetrics metrics;
  private final PubSubBus bus;
  private final String node = hex(6); // this process's id, new at each start
  private final Membership members = new Membership();
  private final PresenceBook book = new PresenceBook();
  private final Map<String, Long> heardAt = new HashMap<>(); // remote node -> last message, nanos
  private final Set<String> dropped = new HashSet<>(); // remote nodes taken for dead
  private List<String> buffered; // notifications held back while a resync loads, else null
  private final Promise<Void> firstLoad = Promise.promise(); // the other nodes' entries are in
  private long refs;
  private long lastBeatNanos; // the last heartbeat that succeeded, 0 before the first
  private long timer = -1;
  private boolean closed;

  public PubSub(
      Vertx vertx,
      Pool pool,
      PgConnectOptions listenOptions,
      ObjectMapper json,
      PubSubSettings limits,
      Policy policy,
      PlankMetrics metrics) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.json = json;
    this.limits = limits;
    this.policy = policy;
    this.metrics = metrics;
    this.bus =
        new PubSubBus(vertx, context, pool, listenOptions, json, node, limits.presenceExpiry());
  }

  /** The node's id in the cluster's presence: new at every start. */
  public String node() {
    return node;
  }

  /**
   * Starts the heartbeat and the listener, once the schema is in place. Completes once the other
   * nodes' presence entries are loaded, so that a node reports ready with the whole state (a member
   * joining earlier would get them as a diff after its state), or after {@link #FIRST_LOAD_WAIT_MS}
   * when the table does not answer.
   */
  public Future<Void> start() {
    context.runOnContext(
        v -> {
          if (closed) return;
          beat();
          bus.listen(this::notified, this::resync);
          long every = Math.max(200, limits.presenceExpiry().toMillis() / 3);
          timer = vertx.setPeriodic(every, every, t -> context.runOnContext(x -> beat()));
          var unused =
              vertx.setTimer(
                  FIRST_LOAD_WAIT_MS, t -> context.runOnContext(x -> firstLoadTimedOut()));
        });
    return firstLoad.future();
  }

  private void firstLoadTimedOut() {
    if (firstLoad.tryComplete()) {
      log.warn(
          "The cluster's presence is not loaded yet; serving without it until the database"
              + " answers");
    }
  }

  /** Joins a topic; the member then gets the topic's presence state, then its messages. */
  public void join(
      TopicMember member, Principal principal, String topic, Handler<AsyncResult<Void>> done) {
    join(member, principal, topic, true, done);
  }

  /**
   * Joins a topic; the member gets the topic's presence state now when {@code withState}, else when
   * it asks ({@link #sendState}): a protocol that must answer the join first asks after its answer.
   */
  public void join(
      TopicMember member,
      Principal principal,
      String topic,
      boolean withState,
      Handler<AsyncResult<Void>> done) {
    on(
        done,
        () -> {
          check(topic, "topic");
          if (policy != null && !policy.mayJoin(principal, topic)) {
            throw new PubSubException(
                PubSubError.FORBIDDEN, "not allowed to join topic '" + shorten(topic) + "'");
          }
          Membership.Member m = member(member);
          Runnable after = withState ? () -> state(member, topic) : null;
          if (m.topics.contains(topic)) return after;
          if (m.topics.size() >= limits.maxTopics()) {
            metrics.limitHit("max_topics");
            throw new PubSubException(
                PubSubError.TOO_MANY_TOPICS,
                "more than " + limits.maxTopics() + " topics joined on this connection");
          }
          members.join(m, topic);
          return after;
        });
  }

  /** Sends the topic's presence state to a member that joined it; nothing when it did not. */
  public void sendState(TopicMember member, String topic) {
    context.runOnContext(
        v -> {
          if (members.joined(member, topic)) state(member, topic);
        });
  }

  /** Leaves a topic, untracking the member's presence in it. */
  public void leave(TopicMember member, String topic, Handler<AsyncResult<Void>> done) {
    on(
        done,
        () -> {
          Membership.Member m = members.get(member);
          if (m != null) leave(m, topic);
          return null;
        });
  }

  /**
   * Sends a broadcast from a member to every member of the topic, the sender too when {@code self}.
   * Completes once it was delivered here and handed to PostgreSQL for the other nodes.
   */
  public void broadcast(
      TopicMember member,
      Principal principal,
      String topic,
      String event,
      String payload,
      boolean self,
      Handler<AsyncResult<Void>> done) {
    context.runOnContext(
        v -> {
          try {
            Membership.Member m = joined(member, topic);
            if (!m.broadcasts.tryTake(System.nanoTime())) {
              metrics.limitHit("broadcast_rate");
              throw new PubSubException(
                  PubSubError.RATE_LIMITED,
                  "more than " + limits.broadcastRate() + " broadcasts a second; slow down");
            }
            send(principal, topic, event, payload, self ? null : member).onComplete(done);
          } catch (PubSubException e) {
            done.handle(Future.failedFuture(e));
          }
        });
  }

  /** A broadcast from the server (REST): no sender among the members. */
  public void broadcast(
      Principal principal,
      String topic,
      String event,
      String payload,
      Handler<AsyncResult<Void>> done) {
    context.runOnContext(
        v -> {
          try {
            send(principal, topic, event, payload, null).onComplete(done);
          } catch (PubSubException e) {
            done.handle(Future.failedFuture(e));
          }
        });
  }

  private Future<Void> send(
      Principal principal, String topic, String event, String payload, TopicMember except) {
    check(topic, "topic");
    check(event, "event");
    if (policy != null && !policy.mayBroadcast(principal, topic)) {
      throw new PubSubException(
          PubSubError.FORBIDDEN, "not allowed to broadcast to topic '" + shorten(topic) + "'");
    }
    int bytes = payload.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > limits.maxPayloadBytes()) {
      metrics.limitHit("broadcast_bytes");
      throw new PubSubException(
          PubSubError.TOO_LARGE,
          "payload of " + bytes + " bytes is over the limit of " + limits.maxPayloadBytes());
    }
    String message =
        notifiable(
            ClusterMessage.encode(json, new ClusterMessage.Broadcast(node, topic, event, payload)));
    deliver(topic, event, payload, except);
    return bus.publish(message).recover(PubSub::unavailable);
  }

  /**
   * Tracks the member's presence in a joined topic under {@code key} (the connection's own id when
   * null), replacing what it tracked there before. Completes with the key.
   */
  public void track(
      TopicMember member,
      Principal principal,
      String topic,
      String key,
      ObjectNode state,
      Handler<AsyncResult<String>> done) {
    context.runOnContext(
        v -> {
          try {
            Membership.Member m = joined(member, topic);
            if (policy != null && !policy.mayTrack(principal, topic)) {
              throw new PubSubException(
                  PubSubError.FORBIDDEN,
                  "not allowed to track presence in topic '" + shorten(topic) + "'");
            }
            String k = key == null ? m.id : key;
            check(k, "key");
            String bytesOf = state.toString();
            int bytes = bytesOf.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > limits.maxPayloadBytes()) {
              metrics.limitHit("broadcast_bytes");
              throw new PubSubException(
                  PubSubError.TOO_LARGE,
                  "presence state of "
                      + bytes
                      + " bytes is over the limit of "
                      + limits.maxPayloadBytes());
            }
            String old = m.tracked.get(topic);
            if (old == null && m.tracked.size() >= limits.maxPresencePerConnection()) {
              metrics.limitHit("max_presence_per_connection");
              throw new PubSubException(
                  PubSubError.TOO_MANY_PRESENCES,
                  "more than "
                      + limits.maxPresencePerConnection()
                      + " topics with presence on this connection");
            }
            if (old == null && book.count(topic) >= limits.maxPresencePerTopic()) {
              metrics.limitHit("max_presence_per_topic");
              throw new PubSubException(
                  PubSubError.TOO_MANY_PRESENCES,
                  "topic '"
                      + shorten(topic)
                      + "' has "
                      + limits.maxPresencePerTopic()
                      + " presence entries already");
            }
            Presence entry = new Presence(node, topic, k, node + "." + ++refs, state);
            String message = notifiable(ClusterMessage.encode(json, trackOf(entry, old)));
            Presence replaced = old == null ? null : book.remove(topic, old);
            m.tracked.put(topic, entry.ref());
            book.put(entry);
            Future<Void> written = bus.track(entry, old, message);
            diff(topic, List.of(entry), replaced == null ? List.of() : List.of(replaced));
            written.recover(PubSub::unavailable).map(x -> k).onComplete(done);
          } catch (PubSubException e) {
            done.handle(Future.failedFuture(e));
          }
        });
  }

  /** Stops tracking the member's presence in the topic. */
  public void untrack(TopicMember member, String topic, Handler<AsyncResult<Void>> done) {
    on(
        done,
        () -> {
          Membership.Member m = members.get(member);
          if (m != null) untrack(m, topic);
          return null;
        });
  }

  /** The member's connection closed: it leaves every topic. */
  public void disconnect(TopicMember member) {
    context.runOnContext(
        v -> {
          Membership.Member m = members.get(member);
          if (m == null) return;
          for (String topic : List.copyOf(m.topics)) leave(m, topic);
          members.remove(member);
        });
  }

  /** Removes this node from the cluster's presence and stops listening. */
  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          closed = true;
          firstLoad.tryComplete();
          if (timer != -1) vertx.cancelTimer(timer);
          if (lastBeatNanos == 0) {
            done.complete(); // never joined the cluster (no database): nothing to remove
            return;
          }
          // Bounded: a database that stopped answering must not hold the shutdown up; the others
          // then drop this node's entries at the expiry.
          long limit = vertx.setTimer(2_000, t -> done.tryComplete());
          bus.leaveCluster(ClusterMessage.encode(json, new ClusterMessage.Gone(node)))
              .onComplete(
                  r -> {
                    vertx.cancelTimer(limit);
                    done.tryComplete();
                  });
        });
    return done.future();
  }

  private Membership.Member member(TopicMember member) {
    return members.getOrAdd(
        member,
        () ->
            new Membership.Member(
                member,
                hex(8),
                new TokenBucket(
                    limits.broadcastRate(), limits.broadcastBurst(), System.nanoTime())));
  }

  private void leave(Membership.Member m, String topic) {
    untrack(m, topic);
    members.leave(m, topic);
  }

  private void untrack(Membership.Member m, String topic) {
    String ref = m.tracked.remove(topic);
    if (ref == null) return;
    Presence removed = book.remove(topic, ref);
    var unused = bus.untrack(ref, untrackMessage(topic, ref));
    if (removed != null) diff(topic, List.of(), List.of(removed));
  }

  private ClusterMessage.Track trackOf(Presence entry, String replaced) {
    return new ClusterMessage.Track(node, entry, replaced);
  }

  private String untrackMessage(String topic, String ref) {
    return ClusterMessage.encode(json, new ClusterMessage.Untrack(node, topic, ref));
  }

  // --- delivery, on the context ---

  private void deliver(String topic, String event, String payload, TopicMember except) {
    Set<TopicMember> to = members.of(topic);
    if (to.isEmpty()) return;
    for (var group : Membership.byCodec(to).entrySet()) {
      byte[] encoded = null;
      for (TopicMember m : group.getValue()) {
        if (m == except) continue;
        if (encoded == null) encoded = group.getKey().broadcast(topic, event, payload);
        m.send(encoded);
      }
    }
  }

  private void state(TopicMember member, String topic) {
    member.send(member.topicCodec().presenceState(topic, book.of(topic)));
  }

  private void diff(String topic, List<Presence> joins, List<Presence> leaves) {
    if (joins.isEmpty() && leaves.isEmpty()) return;
    Set<TopicMember> to = members.of(topic);
    if (to.isEmpty()) return;
    for (var group : Membership.byCodec(to).entrySet()) {
      byte[] encoded = group.getKey().presenceDiff(topic, joins, leaves);
      for (TopicMember m : group.getValue()) m.send(encoded);
    }
  }

  // --- the cluster ---

  private void notified(String payload) {
    if (buffered != null) {
      buffered.add(payload);
      return;
    }
    ClusterMessage message;
    try {
      message = ClusterMessage.decode(json, payload);
    } catch (java.io.IOException | RuntimeException e) {
      log.debug("Ignoring an unreadable broadcast/presence notification: {}", e.getMessage());
      return;
    }
    if (message == null || node.equals(message.node())) return;
    if (message.node() != null) heardAt.put(message.node(), System.nanoTime());
    if (message instanceof ClusterMessage.Broadcast b) {
      deliver(b.topic(), b.event(), b.payload(), null);
    } else if (message instanceof ClusterMessage.Track t) {
      if (dropped.contains(t.node())) {
        resync(); // it came back: what it tracked meanwhile is in the table
        return;
      }
      Presence entry = t.entry();
      Presence replaced = t.replaced() == null ? null : book.remove(entry.topic(), t.replaced());
      boolean added = book.put(entry);
      diff(
          entry.topic(),
          added ? List.of(entry) : List.of(),
          replaced == null ? List.of() : List.of(replaced));
    } else if (message instanceof ClusterMessage.Untrack u) {
      Presence removed = book.remove(u.topic(), u.ref());
      if (removed != null) diff(u.topic(), List.of(), List.of(removed));
    } else if (message instanceof ClusterMessage.Gone g) {
      drop(Set.of(g.node()));
      heardAt.remove(g.node());
    }
  }

  /**
   * Reloads the other nodes' entries from the table, after LISTEN was (re)established: what was
   * notified meanwhile waits, and is applied after, in order.
   */
  private void resync() {
    if (buffered != null || closed) return;
    buffered = new ArrayList<>();
    bus.load()
        .onComplete(
            r -> {
              if (r.succeeded()) {
                dropped.clear();
                apply(r.result());
                firstLoad.tryComplete();
              } else {
                log.warn(
                    "Cannot read the cluster's presence ({}); retrying", r.cause().getMessage());
                vertx.setTimer(1_000, t -> context.runOnContext(v -> resync()));
              }
              List<String> held = buffered;
              buffered = null;
              for (String payload : held) notified(payload);
            });
  }

  /** Makes the remote entries those loaded, telling members what changed. */
  private void apply(List<Presence> loaded) {
    Map<String, Presence> now = new HashMap<>();
    for (Presence p : loaded) now.put(p.ref(), p);
    Map<String, List<Presence>> leaves = new LinkedHashMap<>();
    Map<String, List<Presence>> joins = new LinkedHashMap<>();
    for (Presence p : book.remote(node)) {
      if (!p.equals(now.get(p.ref()))) {
        book.remove(p.topic(), p.ref());
        leaves.computeIfAbsent(p.topic(), t -> new ArrayList<>()).add(p);
      }
    }
    for (Presence p : loaded) {
      if (book.put(p)) joins.computeIfAbsent(p.topic(), t -> new ArrayList<>()).add(p);
    }
    Set<String> topics = new HashSet<>(leaves.keySet());
    topics.addAll(joins.keySet());
    for (String topic : topics) {
      diff(topic, joins.getOrDefault(topic, List.of()), leaves.getOrDefault(topic, List.of()));
    }
  }

  /**
   * The heartbeat: writes this node's, then drops the entries of nodes whose heartbeat is too old
   * (unless they spoke since the question was asked). A node whose own heartbeat lapsed past the
   * expiry was dropped by the others: it tracks its entries again.
   */
  private void beat() {
    if (closed) return;
    long asked = System.nanoTime();
    bus.heartbeat()
        .onSuccess(
            v -> {
              long gap = asked - lastBeatNanos;
              if (lastBeatNanos != 0 && gap > limits.presenceExpiry().toNanos()) republish();
              lastBeatNanos = asked;
            })
        .onFailure(e -> log.debug("Presence heartbeat failed: {}", e.getMessage()));
    bus.liveNodes()
        .onSuccess(
            live -> {
              Set<String> dead = new HashSet<>();
              for (Presence p : book.remote(node)) {
                if (!live.contains(p.node()) && heardAt.getOrDefault(p.node(), 0L) < asked) {
                  dead.add(p.node());
                }
              }
              drop(dead);
              dropped.addAll(dead);
              for (String n : dead) heardAt.remove(n);
              boolean revived = false;
              for (String n : live) revived |= dropped.contains(n);
              if (revived) resync();
            });
    bus.probe();
  }

  private void republish() {
    log.info("Presence heartbeat lapsed past the expiry; announcing this node's entries again");
    for (Presence p : book.local(node)) {
      var unused = bus.track(p, null, ClusterMessage.encode(json, trackOf(p, null)));
    }
  }

  private void drop(Set<String> nodes) {
    if (nodes.isEmpty()) return;
    Map<String, List<Presence>> leaves = new LinkedHashMap<>();
    for (Presence p : book.remote(node)) {
      if (nodes.contains(p.node())) {
        book.remove(p.topic(), p.ref());
        leaves.computeIfAbsent(p.topic(), t -> new ArrayList<>()).add(p);
      }
    }
    leaves.forEach((topic, gone) -> diff(topic, List.of(), gone));
  }

  // --- helpers ---

  /** Runs on the context, then {@code done}, then the returned runnable (if any). */
  private void on(Handler<AsyncResult<Void>> done, Supplier<Runnable> action) {
    context.runOnContext(
        v -> {
          Runnable after;
          try {
            after = action.get();
          } catch (PubSubException e) {
            done.handle(Future.failedFuture(e));
            return;
          }
          done.handle(Future.succeededFuture());
          if (after != null) after.run();
        });
  }

  private static String notifiable(String message) {
    int bytes = message.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > ClusterMessage.MAX_NOTIFY_BYTES) {
      throw new PubSubException(
          PubSubError.TOO_LARGE,
          "message of "
              + bytes
              + " bytes with its topic and event is over PostgreSQL NOTIFY's 8000-byte limit");
    }
    return message;
  }

  private static <T> Future<T> unavailable(Throwable e) {
    log.debug("Broadcast/presence write failed: {}", e.getMessage());
    return Future.failedFuture(
        new PubSubException(
            PubSubError.UNAVAILABLE,
            "delivered on this node only: the database did not take it for the other nodes"));
  }

  private static void check(String name, String what) {
    if (name == null || name.isBlank()) {
      throw new PubSubException(PubSubError.BAD_REQUEST, "'" + what + "' is required");
    }
    if (name.length() > MAX_NAME) {
      throw new PubSubException(
          PubSubError.BAD_REQUEST, "'" + what + "' is longer than " + MAX_NAME + " characters");
    }
  }

  private static String shorten(String text) {
    return text.length() <= 60 ? text : text.substring(0, 60) + "…";
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** The member, which must have joined {@code topic}; on the pub/sub context. */
  private Membership.Member joined(TopicMember member, String topic) {
    Membership.Member m = members.get(member);
    if (m == null || !m.topics.contains(topic)) {
      throw new PubSubException(
          PubSubError.NOT_JOINED, "join topic '" + shorten(topic) + "' first");
    }
    return m;
  }
}
