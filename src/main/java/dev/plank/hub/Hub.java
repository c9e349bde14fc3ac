package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.Change;
import dev.plank.capture.ChangeSink;
import dev.plank.capture.History;
import dev.plank.capture.OnContext;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
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
  // Requests that arrived before the catalog was known or while the listener was not live.
  private final List<Runnable> parked = new ArrayList<>(); // owned by the hub's context
  private final int maxCatchUps;
  private final ArrayDeque<CatchUp> catchUpsWaiting = new ArrayDeque<>(); // the hub's context
  private int catchUpsRunning; // owned by the hub's context
  private Map<String, TableInfo> channels; // null until the tables are known; the hub's context
  private boolean live; // the change source is live; owned by the hub's context

  public Hub(
      Context context,
      PlankMetrics metrics,
      int maxSubscriptions,
      History history,
      int maxCatchUps) {
    this.maxCatchUps = maxCatchUps;
    this.context = context;
    this.history = history;
    this.metrics = metrics;
    this.maxSubscriptions = maxSubscriptions;
  }

  public Context context() {
    return context;
  }

  /** The captured tables, once the schema is installed; subscriptions wait for this. */
  public void tablesReady(List<TableInfo> tables) {
    Map<String, TableInfo> byChannel = new HashMap<>();
    for (TableInfo table : tables) byChannel.put(table.ref().channel(), table);
    context.runOnContext(
        v -> {
          channels = byChannel;
          releaseParked();
        });
  }

  public void subscribe(Subscriber subscriber, SubscribeRequest request) {
    context.runOnContext(v -> doSubscribe(subscriber, request));
  }

  public void unsubscribe(Subscriber subscriber, String channel, JsonNode id) {
    context.runOnContext(v -> doUnsubscribe(subscriber, channel, id));
  }

  private void doUnsubscribe(Subscriber subscriber, String channel, JsonNode id) {
    assert OnContext.owns(context);
    if (!parked.isEmpty()) {
      // A subscribe that waits for the listener must not overtake this unsubscribe.
      parked.add(() -> doUnsubscribe(subscriber, channel, id));
      return;
    }
    if (index.remove(subscriber, TableRef.parse(channel))) metrics.subscriptionsChanged(-1);
    subscriber.unsubscribed(id, TableRef.parse(channel).channel());
  }

  public void disconnect(Subscriber subscriber) {
    context.runOnContext(v -> metrics.subscriptionsChanged(-index.removeAll(subscriber)));
  }

  @Override
  public void publish(Change change) {
    assert OnContext.owns(context);
    if (change.isWithheld()) {
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

  private void doSubscribe(Subscriber subscriber, SubscribeRequest request) {
    assert OnContext.owns(context);
    if (!subscriber.isOpen()) return;
    if (channels == null || !live) {
      // Acknowledging now could let a write made after the ack go unseen.
      parked.add(() -> doSubscribe(subscriber, request));
      return;
    }
    TableInfo table = channels.get(TableRef.parse(request.channel()).channel());
    RowBound rows = request.rows();
    // Under a policy, a channel the subscriber may not read is answered as an unknown one, and no
    // answer names the captured channels or a table's columns.
    Filter bound = table == null || rows == null ? null : bound(rows, table);
    if (table == null || (rows != null && bound == null)) {
      subscriber.rejected(
          request.id(), Refusal.UNKNOWN_CHANNEL, unknownChannel(request.channel(), rows != null));
      return;
    }
    Filter filter;
    try {
      filter = FilterParser.parse(request.filter(), table, rows == null);
    } catch (FilterException e) {
      subscriber.rejected(request.id(), Refusal.BAD_FILTER, e.getMessage());
      return;
    }
    if (!index.contains(subscriber, table.ref()) && index.count(subscriber) >= maxSubscriptions) {
      subscriber.rejected(
          request.id(),
          Refusal.TOO_MANY_SUBSCRIPTIONS,
          "a connection may hold at most " + maxSubscriptions + " subscriptions");
      return;
    }
    Subscription subscription =
        new Subscription(
            subscriber, table.ref(), request.events(), filter, bound, table.primaryKey());
    if (request.since() != null || request.snapshot()) {
      subscription.catchUp =
          new CatchUp(
              subscription,
              table,
              request.id(),
              request.since(),
              context,
              history,
              this::catchUpDone);
    }
    if (index.put(subscription)) metrics.subscriptionsChanged(1);
    subscriber.subscribed(request.id(), table.ref().channel());
    if (subscription.catchUp != null) startCatchUp(subscription.catchUp);
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
  private String unknownChannel(String channel, boolean underPolicy) {
    if (underPolicy) return unknownChannel(channel);
    return "unknown channel '"
        + channel
        + "' (captured: "
        + String.join(", ", channels.keySet().stream().sorted().toList())
        + ")";
  }

  /** The answer for a channel under a policy, which lists nothing. */
  public static String unknownChannel(String channel) {
    return "unknown channel '" + channel + "'";
  }

  /** Each catch-up holds a pooled connection while it reads: at most a few run at once. */
  private void startCatchUp(CatchUp catchUp) {
    if (catchUpsRunning < maxCatchUps) {
      catchUpsRunning++;
      catchUp.start();
    } else {
      catchUpsWaiting.add(catchUp);
    }
  }

  private void catchUpDone() {
    catchUpsRunning--;
    CatchUp next = catchUpsWaiting.poll();
    if (next != null) startCatchUp(next);
  }

  private void releaseParked() {
    assert OnContext.owns(context);
    if (channels == null || !live || parked.isEmpty()) return;
    List<Runnable> waiting = new ArrayList<>(parked);
    parked.clear();
    log.debug("Releasing {} subscribe requests that waited for the listener", waiting.size());
    waiting.forEach(Runnable::run);
  }
}
