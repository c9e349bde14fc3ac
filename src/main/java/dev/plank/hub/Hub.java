package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.Change;
import dev.plank.capture.ChangeSink;
import dev.plank.capture.History;
import dev.plank.capture.OnContext;
import dev.plank.config.LimitSettings;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Matches each change against the subscriptions of its channel and hands it to every matching
 * subscriber, encoded once per protocol ({@link ChangeCodec}) and shared. It knows no wire format.
 * Subscribe and unsubscribe requests from sessions are queued onto the hub's context, so the index
 * needs no locks and no lock is held while writing.
 *
 * <p>All mutable state is owned by {@code context}; the public methods may be called from any
 * thread, the {@link ChangeSink} ones on the context only (the change source runs there).
 */
public final class Hub implements ChangeSink {
  private static final Logger log = LoggerFactory.getLogger(Hub.class);

  private final Context context;
  private final History history;
  private final PlankMetrics metrics;
  private final int maxSubscriptions;
  private final SubscriptionIndex index = new SubscriptionIndex(); // owned by the hub's context
  private final EncodedChange encoded = new EncodedChange(); // owned by the hub's context
  // Requests that arrived before the catalog was known or while the listener was not live, by
  // connection, in arrival order; at most maxSubscriptions each, dropped when the connection
  // closes. Owned by the hub's context.
  private final Map<Subscriber, List<Runnable>> parked = new LinkedHashMap<>();
  private final int maxCatchUps;
  private final LimitSettings limits;
  // The catalog as the callers of subscribe see it, to parse filters on their own threads.
  private volatile Map<String, TableInfo> catalog;
  private final ArrayDeque<CatchUp> catchUpsWaiting = new ArrayDeque<>(); // the hub's context
  private int catchUpsRunning; // owned by the hub's context
  // Read slots in use per client address (the hub's context): one address may hold at most half of
  // them, so clients that never read cannot take every slot from the others.
  private final Map<String, Integer> slotsByAddress = new HashMap<>();
  private Map<String, TableInfo> channels; // null until the tables are known; the hub's context
  private boolean live; // the change source is live; owned by the hub's context

  public Hub(
      Context context,
      PlankMetrics metrics,
      int maxSubscriptions,
      History history,
      int maxCatchUps,
      LimitSettings limits) {
    this.maxCatchUps = maxCatchUps;
    this.limits = limits;
    this.context = context;
    this.history = history;
    this.metrics = metrics;
    this.maxSubscriptions = maxSubscriptions;
  }

  public Context context() {
    return context;
  }

  /**
   * The captured tables by channel, or null until they are known: for protocols whose requests name
   * several tables at once (a schema), to expand them. Any thread.
   */
  public Map<String, TableInfo> catalog() {
    return catalog;
  }

  /** The captured tables, once the schema is installed; subscriptions wait for this. */
  public void tablesReady(List<TableInfo> tables) {
    Map<String, TableInfo> byChannel = new HashMap<>();
    for (TableInfo table : tables) byChannel.put(table.ref().channel(), table);
    catalog = byChannel;
    context.runOnContext(
        v -> {
          channels = byChannel;
          releaseParked();
        });
  }

  /**
   * Queues a subscribe onto the hub's context. The costly part, checking the channel and parsing
   * the filter, runs here on the caller's thread (a connection's event loop), so that a storm of
   * subscribes cannot take the hub's context from the fan-out.
   */
  public void subscribe(Subscriber subscriber, SubscribeRequest request) {
    Resolved resolved = Resolved.of(catalog, request);
    context.runOnContext(v -> doSubscribe(subscriber, request, resolved));
  }

  public void unsubscribe(Subscriber subscriber, String channel, JsonNode id) {
    context.runOnContext(v -> doUnsubscribe(subscriber, channel, id));
  }

  private void doUnsubscribe(Subscriber subscriber, String channel, JsonNode id) {
    assert OnContext.owns(context);
    if (parked.containsKey(subscriber)) {
      // A subscribe that waits for the listener must not overtake this unsubscribe.
      park(subscriber, id, () -> doUnsubscribe(subscriber, channel, id));
      return;
    }
    Subscription leaving = index.get(subscriber, TableRef.parse(channel));
    // A catch-up still queued for a slot leaves the queue too: it must not count against its bound.
    if (leaving != null && leaving.catchUp != null) catchUpsWaiting.remove(leaving.catchUp);
    if (index.remove(subscriber, TableRef.parse(channel))) metrics.subscriptionsChanged(-1);
    subscriber.unsubscribed(id, TableRef.parse(channel).channel());
  }

  /** Forgets everything of a closed connection: subscriptions, parked and queued requests. */
  public void disconnect(Subscriber subscriber) {
    context.runOnContext(
        v -> {
          List<Runnable> dropped = parked.remove(subscriber);
          if (dropped != null) metrics.parkedChanged(-dropped.size());
          catchUpsWaiting.removeIf(c -> c.subscriber() == subscriber);
          metrics.subscriptionsChanged(-index.removeAll(subscriber));
        });
  }

  @Override
  public void publish(Change change) {
    assert OnContext.owns(context);
    if (change.isWithheld() && change.op() != Change.Op.TRUNCATE) {
      log.warn(
          "Change seq {} on {} is larger than PLANK_MAX_CHANGE_BYTES or unreadable: it stays in the"
              + " log, and its subscribers were told to resync",
          change.seq(),
          change.table().channel());
      metrics.changeWithheld();
    }
    List<Subscription> subscriptions = index.channel(change.table());
    int sent = 0;
    try {
      for (int i = 0, n = subscriptions.size(); i < n; i++) {
        Subscription subscription = subscriptions.get(i);
        try {
          if (offer(subscription, change)) sent++;
        } catch (RuntimeException e) {
          // One broken session must not keep this change from everyone after it in the list.
          log.error(
              "Delivering change seq {} to a subscriber of {} failed",
              change.seq(),
              subscription.table.channel(),
              e);
        }
      }
    } finally {
      encoded.clear();
    }
    metrics.messagesSent(sent);
  }

  /** Sends a change to one subscription, holds it for its catch-up, or skips it. */
  private boolean offer(Subscription subscription, Change change) {
    Shape shape = subscription.shape(change);
    if (shape == Shape.NONE) return false;
    if (subscription.seam != null && subscription.seam.sees(change.xid())) return false;
    if (subscription.catchUp != null) {
      subscription.catchUp.hold(change);
      return false;
    }
    if (change.isWithheld() || shape == Shape.RESYNC) subscription.deliver(change, shape);
    else {
      subscription.subscriber.send(encoded.frame(subscription.codec, shape, change, subscription));
    }
    return true;
  }

  @Override
  public void listenerUp() {
    assert OnContext.owns(context);
    live = true;
    releaseParked();
  }

  @Override
  public void listenerDown() {
    assert OnContext.owns(context);
    live = false;
  }

  @Override
  public void resyncAll(String reason) {
    assert OnContext.owns(context);
    index.forEach(
        s -> {
          try {
            s.subscriber.resync(s.table.channel(), reason);
          } catch (RuntimeException e) {
            log.error("Sending resync to a subscriber of {} failed", s.table.channel(), e);
          }
        });
  }

  private void doSubscribe(Subscriber subscriber, SubscribeRequest request, Resolved early) {
    assert OnContext.owns(context);
    if (!subscriber.isOpen()) return;
    // Parsed against the catalog the hub now holds; again only if it was not known then.
    Resolved resolved =
        channels == null || (early != null && early.catalog() == channels)
            ? early
            : Resolved.of(channels, request);
    if (resolved != null && resolved.refusal() != null) {
      subscriber.rejected(request.id(), resolved.refusal(), resolved.message());
      return;
    }
    if (channels == null || !live) {
      // Acknowledging now could let a write made after the ack go unseen.
      park(subscriber, request.id(), () -> doSubscribe(subscriber, request, resolved));
      return;
    }
    TableInfo table = resolved.table();
    Filter filter = resolved.filter();
    if (!index.contains(subscriber, table.ref()) && index.count(subscriber) >= maxSubscriptions) {
      subscriber.rejected(
          request.id(),
          Refusal.TOO_MANY_SUBSCRIPTIONS,
          "a connection may hold at most " + maxSubscriptions + " subscriptions");
      return;
    }
    boolean catchUp = request.since() != null || request.snapshot();
    Subscription previous = index.get(subscriber, table.ref());
    // Replaced before its read began: it leaves the queue and never opens a transaction.
    boolean replacesWaiting =
        previous != null && previous.catchUp != null && catchUpsWaiting.contains(previous.catchUp);
    if (catchUp
        && catchUpsRunning >= maxCatchUps
        && catchUpsWaiting.size() - (replacesWaiting ? 1 : 0) >= limits.maxCatchUpsWaiting()) {
      metrics.limitHit("catch_up_queue");
      subscriber.rejected(
          request.id(),
          Refusal.BUSY,
          "too many snapshots and replays are waiting; retry in a few seconds");
      return;
    }
    if (replacesWaiting) catchUpsWaiting.remove(previous.catchUp);
    Subscription subscription =
        new Subscription(
            subscriber,
            table.ref(),
            request.events(),
            filter,
            resolved.bound(),
            table.primaryKey());
    if (catchUp) {
      subscription.catchUp =
          new CatchUp(
              subscription,
              table,
              request.id(),
              request.since(),
              context,
              history,
              limits.stallTimeout(),
              () -> catchUpDone(subscriber.address()),
              () -> timedOut(subscription),
              () -> metrics.limitHit("stall_timeout"));
    }
    if (index.put(subscription)) metrics.subscriptionsChanged(1);
    subscriber.subscribed(request.id(), table.ref().channel());
    if (subscription.catchUp != null) startCatchUp(subscription.catchUp);
  }

  /**
   * Holds a request until the catalog is known and the listener live: validated first, and at most
   * PLANK_MAX_SUBSCRIPTIONS per connection, so that a client cannot pile them up while the database
   * is down.
   */
  private void park(Subscriber subscriber, JsonNode id, Runnable r) {
    List<Runnable> own = parked.computeIfAbsent(subscriber, s -> new ArrayList<>());
    if (own.size() >= maxSubscriptions) {
      metrics.limitHit("parked");
      subscriber.rejected(
          id,
          Refusal.BUSY,
          "the database is unavailable and "
              + maxSubscriptions
              + " requests of this connection already wait for it; retry later");
      return;
    }
    own.add(r);
    metrics.parkedChanged(1);
  }

  /** A snapshot or replay ran past PLANK_QUERY_TIMEOUT: its subscription ends (it was refused). */
  private void timedOut(Subscription subscription) {
    metrics.limitHit("query_timeout");
    if (subscription.slot >= 0 && index.remove(subscription.subscriber, subscription.table)) {
      metrics.subscriptionsChanged(-1);
    }
  }

  /** The bound filter, or null to deny: a failing rule fails closed. */
  private static Filter bound(RowBound rows, TableInfo table) {
    try {
      return rows.on(table);
    } catch (RuntimeException e) {
      log.error("Evaluating the policy for {} failed; denying", table.ref().channel(), e);
      return null;
    }
  }

  /**
   * The answer for a channel that is not captured, or that a policy does not let the subscriber
   * read: the same words for both.
   */
  private static String unknownChannel(
      Map<String, TableInfo> catalog, String channel, boolean underPolicy) {
    if (underPolicy) return unknownChannel(channel);
    return "unknown channel '"
        + channel
        + "' (captured: "
        + String.join(", ", catalog.keySet().stream().sorted().toList())
        + ")";
  }

  /** The answer for a channel under a policy, which lists nothing. */
  public static String unknownChannel(String channel) {
    return "unknown channel '" + channel + "'";
  }

  /** Each catch-up holds a pooled connection while it reads: at most a few run at once. */
  private void startCatchUp(CatchUp catchUp) {
    if (catchUpsRunning < maxCatchUps && underAddressShare(catchUp)) {
      take(catchUp);
    } else {
      catchUpsWaiting.add(catchUp);
    }
  }

  private void take(CatchUp catchUp) {
    catchUpsRunning++;
    String address = catchUp.subscriber().address();
    if (address != null) slotsByAddress.merge(address, 1, Integer::sum);
    catchUp.start();
  }

  private boolean underAddressShare(CatchUp catchUp) {
    String address = catchUp.subscriber().address();
    return address == null
        || slotsByAddress.getOrDefault(address, 0) < Math.max(1, maxCatchUps / 2);
  }

  private void catchUpDone(String address) {
    catchUpsRunning--;
    if (address != null) slotsByAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    catchUpsWaiting.removeIf(c -> !c.wanted());
    // The oldest waiting catch-up whose address is under its share: one address's queue of
    // non-readers must not stall everyone queued behind it.
    for (CatchUp next : catchUpsWaiting) {
      if (underAddressShare(next)) {
        catchUpsWaiting.remove(next);
        take(next);
        return;
      }
    }
  }

  private void releaseParked() {
    assert OnContext.owns(context);
    if (channels == null || !live || parked.isEmpty()) return;
    List<Runnable> waiting = new ArrayList<>();
    parked.values().forEach(waiting::addAll);
    parked.clear();
    metrics.parkedChanged(-waiting.size());
    log.debug("Releasing {} subscribe requests that waited for the listener", waiting.size());
    waiting.forEach(Runnable::run);
  }

  /**
   * A subscribe checked against a catalog: its table and filter, or why it is refused. Immutable.
   */
  private record Resolved(
      Map<String, TableInfo> catalog,
      TableInfo table,
      Filter filter,
      Filter bound,
      Refusal refusal,
      String message) {
    /** Null while the catalog is not known. */
    static Resolved of(Map<String, TableInfo> catalog, SubscribeRequest request) {
      if (catalog == null) return null;
      TableInfo table = catalog.get(TableRef.parse(request.channel()).channel());
      RowBound rows = request.rows();
      // Under a policy, a channel the subscriber may not read is answered as an unknown one, and no
      // answer names the captured channels or a table's columns.
      Filter bound = table == null || rows == null ? null : Hub.bound(rows, table);
      if (table == null || (rows != null && bound == null)) {
        return new Resolved(
            catalog,
            null,
            null,
            null,
            Refusal.UNKNOWN_CHANNEL,
            unknownChannel(catalog, request.channel(), rows != null));
      }
      try {
        Filter filter = FilterParser.parse(request.filter(), table, rows == null);
        return new Resolved(catalog, table, filter, bound, null, null);
      } catch (FilterException e) {
        return new Resolved(catalog, table, null, null, Refusal.BAD_FILTER, e.getMessage());
      }
    }
  }
}
