package dev.plank.capture;

/** Where the listener hands changes and its own state; called on the listener's context only. */
public interface ChangeSink {
  /** A committed change, in commit order. */
  void publish(Change change);

  /** The LISTEN is in place: every commit from now on will be delivered. */
  void listenerUp();

  /**
   * The LISTEN connection is gone; changes committed until {@link #listenerUp} arrive after it,
   * replayed from the log.
   */
  void listenerDown();

  /** Changes were lost to log retention: every subscriber must reload its state. */
  void resyncAll(String reason);
}
