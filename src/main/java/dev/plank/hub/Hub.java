package dev.plank.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.capture.Change;
import dev.plank.capture.ChangeSink;
import dev.plank.capture.History;
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
 * Matches each change against the subscriptions of its channel and hands one shared encoded frame
 * to every matching subscriber. Subscribe and unsubscribe requests from sessions are queued onto
 * the hub's context, so the index needs no locks and no lock is held while writing.
 *
 * <p>All mutable state is owned by {@code context}; the public methods may be called from any
 * thread.
 */
public final class Hub implements ChangeSink {
  private static final Logger log = LoggerFactory.getLogger(Hub.class);

  private final Context context;
  private final ObjectMapper json;
  private final History history;
  private final FrameEncoder encoder;
  private final PlankMetrics metrics;
  private final int maxSubscriptions;
  private final SubscriptionIndex index = new SubscriptionIndex();
  // Requests that arrived before the catalog was known or while the listener was not live.
  private final List<Runnable> parked = new ArrayList<>();
  private final int maxCatchUps;
  private final ArrayDeque<CatchUp> catchUpsWaiting = new ArrayDeque<>();
  private int catchUpsRunning;
  private Map<String, TableInfo> channels; // null until the captured tables are known
  private boolean live;

  public Hub(
      Context context,
      ObjectMapper json,
      PlankMetrics metrics,
      int maxSubscriptions,
      History history,
      int maxCatchUps) {
    this.maxCatchUps = maxCatchUps;
    this.context = context;
    this.json = json;
    this.history = history;
    this.encoder = new FrameEncoder(json);
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
    List<Subscription> subscriptions = index.channel(change.table());
    byte[] frame = null;
    int sent = 0;
    for (int i = 0, n = subscriptions.size(); i < n; i++) {
      Subscription subscription = subscriptions.get(i);
      if (!subscription.matches(change)) continue;
      if (subscription.seam != null && subscription.seam.sees(change.xid())) continue;
      if (subscription.catchUp != null) {
        subscription.catchUp.hold(change);
        continue;
      }
      if (frame == null) frame = encoder.encode(change);
      subscription.subscriber.send(frame);
      sent++;
    }
    metrics.messagesSent(sent);
  }

  @Override
  public void listenerUp() {
    live = true;
    releaseParked();
  }

  @Override
  public void listenerDown() {
    live = false;
  }

  @Override
  public void resyncAll(String reason) {
    index.forEach(s -> s.subscriber.resync(s.table.channel(), reason));
  }

  private void doSubscribe(Subscriber subscriber, SubscribeRequest request) {
    if (!subscriber.isOpen()) return;
    if (channels == null || !live) {
      // Acknowledging now could let a write made after the ack go unseen.
      parked.add(() -> doSubscribe(subscriber, request));
      return;
    }
    TableInfo table = channels.get(TableRef.parse(request.channel()).channel());
    if (table == null) {
      subscriber.rejected(
          request.id(),
          ErrorCode.UNKNOWN_CHANNEL,
          "unknown channel '"
              + request.channel()
              + "' (captured: "
              + String.join(", ", channels.keySet().stream().sorted().toList())
              + ")");
      return;
    }
    Filter filter;
    try {
      filter = FilterParser.parse(request.filter(), table);
    } catch (FilterException e) {
      subscriber.rejected(request.id(), ErrorCode.BAD_FILTER, e.getMessage());
      return;
    }
    if (!index.contains(subscriber, table.ref()) && index.count(subscriber) >= maxSubscriptions) {
      subscriber.rejected(
          request.id(),
          ErrorCode.TOO_MANY_SUBSCRIPTIONS,
          "a connection may hold at most " + maxSubscriptions + " subscriptions");
      return;
    }
    Subscription subscription = new Subscription(subscriber, table.ref(), request.events(), filter);
    if (request.since() != null || request.snapshot()) {
      subscription.catchUp =
          new CatchUp(
              subscription,
              table,
              request.id(),
              request.since(),
              context,
              history,
              encoder,
              json,
              this::catchUpDone);
    }
    if (index.put(subscription)) metrics.subscriptionsChanged(1);
    subscriber.subscribed(request.id(), table.ref().channel());
    if (subscription.catchUp != null) startCatchUp(subscription.catchUp);
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
    if (channels == null || !live || parked.isEmpty()) return;
    List<Runnable> waiting = new ArrayList<>(parked);
    parked.clear();
    log.debug("Releasing {} subscribe requests that waited for the listener", waiting.size());
    waiting.forEach(Runnable::run);
  }
}
