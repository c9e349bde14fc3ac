package dev.plank.hub;

import dev.plank.db.TableRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Subscriptions by channel, for the hot path, and by subscriber, for replace, unsubscribe and
 * disconnect. Adding and removing are O(1): a channel's list is compacted by moving its last entry
 * into the freed slot. Not thread-safe: owned by the hub's context.
 */
final class SubscriptionIndex {
  private final Map<TableRef, ArrayList<Subscription>> byChannel = new HashMap<>();
  private final Map<Subscriber, Map<TableRef, Subscription>> bySubscriber = new HashMap<>();

  /** The channel's subscriptions, for reading only; empty when there are none. */
  List<Subscription> channel(TableRef table) {
    List<Subscription> list = byChannel.get(table);
    return list == null ? List.of() : list;
  }

  /** Every subscription of every channel. */
  void forEach(java.util.function.Consumer<Subscription> action) {
    for (List<Subscription> list : byChannel.values()) list.forEach(action);
  }

  int count(Subscriber subscriber) {
    Map<TableRef, Subscription> own = bySubscriber.get(subscriber);
    return own == null ? 0 : own.size();
  }

  /** The subscriber's subscription to the channel, or null. */
  Subscription get(Subscriber subscriber, TableRef table) {
    Map<TableRef, Subscription> own = bySubscriber.get(subscriber);
    return own == null ? null : own.get(table);
  }

  boolean contains(Subscriber subscriber, TableRef table) {
    Map<TableRef, Subscription> own = bySubscriber.get(subscriber);
    return own != null && own.containsKey(table);
  }

  /** Adds or replaces the subscriber's subscription to the channel; true if it is a new one. */
  boolean put(Subscription subscription) {
    Subscription previous =
        bySubscriber
            .computeIfAbsent(subscription.subscriber, s -> new HashMap<>())
            .put(subscription.table, subscription);
    if (previous != null) removeFromChannel(previous);
    ArrayList<Subscription> list =
        byChannel.computeIfAbsent(subscription.table, t -> new ArrayList<>());
    subscription.slot = list.size();
    list.add(subscription);
    return previous == null;
  }

  boolean remove(Subscriber subscriber, TableRef table) {
    Map<TableRef, Subscription> own = bySubscriber.get(subscriber);
    Subscription removed = own == null ? null : own.remove(table);
    if (removed == null) return false;
    if (own.isEmpty()) bySubscriber.remove(subscriber);
    removeFromChannel(removed);
    return true;
  }

  /** Removes all of the subscriber's subscriptions and answers how many there were. */
  int removeAll(Subscriber subscriber) {
    Map<TableRef, Subscription> own = bySubscriber.remove(subscriber);
    if (own == null) return 0;
    own.values().forEach(this::removeFromChannel);
    return own.size();
  }

  private void removeFromChannel(Subscription subscription) {
    ArrayList<Subscription> list = byChannel.get(subscription.table);
    int last = list.size() - 1;
    Subscription moved = list.remove(last);
    if (moved != subscription) {
      list.set(subscription.slot, moved);
      moved.slot = subscription.slot;
    }
    subscription.slot = -1;
    if (list.isEmpty()) byChannel.remove(subscription.table);
  }
}
