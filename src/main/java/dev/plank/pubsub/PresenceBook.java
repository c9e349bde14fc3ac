package dev.plank.pubsub;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every presence entry this node knows, its own and the other nodes', by topic and ref. Owned by
 * {@link PubSub}'s context; not thread-safe.
 */
final class PresenceBook {
  private final Map<String, Map<String, Presence>> byTopic = new HashMap<>();

  /** Adds or replaces an entry; returns false when the same entry was already there. */
  boolean put(Presence entry) {
    Presence old =
        byTopic.computeIfAbsent(entry.topic(), t -> new LinkedHashMap<>()).put(entry.ref(), entry);
    return !entry.equals(old);
  }

  /** Removes an entry; returns it, or null when there was none. */
  Presence remove(String topic, String ref) {
    Map<String, Presence> entries = byTopic.get(topic);
    if (entries == null) return null;
    Presence removed = entries.remove(ref);
    if (entries.isEmpty()) byTopic.remove(topic);
    return removed;
  }

  /** The topic's entries, oldest first. */
  List<Presence> of(String topic) {
    Map<String, Presence> entries = byTopic.get(topic);
    return entries == null ? List.of() : List.copyOf(entries.values());
  }

  int count(String topic) {
    Map<String, Presence> entries = byTopic.get(topic);
    return entries == null ? 0 : entries.size();
  }

  /** Every entry of other nodes than {@code self}. */
  List<Presence> remote(String self) {
    List<Presence> out = new ArrayList<>();
    for (Map<String, Presence> entries : byTopic.values()) {
      for (Presence p : entries.values()) if (!p.node().equals(self)) out.add(p);
    }
    return out;
  }

  /** Every entry of this node's own members. */
  List<Presence> local(String self) {
    List<Presence> out = new ArrayList<>();
    for (Map<String, Presence> entries : byTopic.values()) {
      for (Presence p : entries.values()) if (p.node().equals(self)) out.add(p);
    }
    return out;
  }
}
