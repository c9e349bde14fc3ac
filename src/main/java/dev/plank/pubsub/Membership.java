package dev.plank.pubsub;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which members joined which topics, and each member's own state: its presence refs by topic and
 * its broadcast rate. Owned by {@link PubSub}'s context; not thread-safe.
 */
final class Membership {
  /** One member's state. */
  static final class Member {
    final TopicMember member;
    final String id; // the default presence key
    final dev.plank.ws.TokenBucket broadcasts;
    final Set<String> topics = new LinkedHashSet<>();
    final Map<String, String> tracked = new HashMap<>(); // topic -> presence ref

    Member(TopicMember member, String id, dev.plank.ws.TokenBucket broadcasts) {
      this.member = member;
      this.id = id;
      this.broadcasts = broadcasts;
    }
  }

  private final Map<String, Set<TopicMember>> byTopic = new HashMap<>();
  private final Map<TopicMember, Member> members = new HashMap<>();

  Member get(TopicMember member) {
    return members.get(member);
  }

  Member getOrAdd(TopicMember member, java.util.function.Supplier<Member> created) {
    return members.computeIfAbsent(member, m -> created.get());
  }

  boolean joined(TopicMember member, String topic) {
    Member m = members.get(member);
    return m != null && m.topics.contains(topic);
  }

  void join(Member m, String topic) {
    m.topics.add(topic);
    byTopic.computeIfAbsent(topic, t -> new LinkedHashSet<>()).add(m.member);
  }

  void leave(Member m, String topic) {
    m.topics.remove(topic);
    Set<TopicMember> set = byTopic.get(topic);
    if (set == null) return;
    set.remove(m.member);
    if (set.isEmpty()) byTopic.remove(topic);
  }

  /** Forgets the member; it must have left every topic. */
  void remove(TopicMember member) {
    members.remove(member);
  }

  Set<TopicMember> of(String topic) {
    return byTopic.getOrDefault(topic, Set.of());
  }

  /** Members by codec: a message is encoded once per codec. */
  static Map<PubSubCodec, java.util.List<TopicMember>> byCodec(Iterable<TopicMember> members) {
    Map<PubSubCodec, java.util.List<TopicMember>> out = new LinkedHashMap<>();
    for (TopicMember m : members) {
      out.computeIfAbsent(m.topicCodec(), c -> new java.util.ArrayList<>()).add(m);
    }
    return out;
  }
}
