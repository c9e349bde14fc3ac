package dev.plank.pubsub;

import java.util.List;

/**
 * A protocol's encoding of broadcast and presence messages, as whole frames for {@link
 * TopicMember#send}. One instance serves every connection of the protocol: a message is encoded
 * once per codec, whatever the number of members. Called on {@link PubSub}'s context.
 */
public interface PubSubCodec {
  /** A broadcast; {@code payload} is JSON text, written as it is. */
  byte[] broadcast(String topic, String event, String payload);

  /** The topic's whole presence state, sent to a member when it joins. */
  byte[] presenceState(String topic, List<Presence> entries);

  /** Who joined and who left the topic's presence. */
  byte[] presenceDiff(String topic, List<Presence> joins, List<Presence> leaves);
}
