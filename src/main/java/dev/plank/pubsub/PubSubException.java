package dev.plank.pubsub;

/** A refused broadcast or presence request; the message is meant for the client. */
public final class PubSubException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final PubSubError error;

  public PubSubException(PubSubError error, String message) {
    super(message, null, false, false);
    this.error = error;
  }

  public PubSubError error() {
    return error;
  }
}
