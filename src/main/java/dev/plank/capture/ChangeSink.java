package dev.plank.capture;

/**
 * Where a {@link ChangeSource} hands changes and its own state (the hub). Called on the hub's
 * context only: the source runs there.
 */
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
