package dev.plank.pubsub;

/**
 * What broadcast and presence need of a client connection, whatever protocol it speaks: a way to
 * send it bytes its protocol's {@link PubSubCodec} encoded (named so as not to clash with {@code
 * Subscriber#codec}). {@link PubSub} calls {@link #send} on its own context; the bytes are shared
 * with every other member of the same codec, never modified.
 */
public interface TopicMember {
  /** The connection's protocol's codec: the same instance for every connection of the protocol. */
  PubSubCodec topicCodec();

  /** Writes an encoded message; callable from any thread. */
  void send(byte[] encoded);

  /** The client's address, for logs; null when none. */
  default String address() {
    return null;
  }
}
