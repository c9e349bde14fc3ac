package dev.plank.hub;

import dev.plank.capture.Change;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The live changes for one subscription that arrive while its catch-up reads, bounded: a read far
 * behind the live stream overflows it, and the client is cut to resume later from its cursor. Owned
 * by the hub's context.
 */
final class WaitingChanges {
  static final int MAX_WAITING = 100_000;

  private final ArrayDeque<Change> changes = new ArrayDeque<>();
  private final Runnable onOverflow;
  private boolean overflowed;

  WaitingChanges(Runnable onOverflow) {
    this.onOverflow = onOverflow;
  }

  void hold(Change change) {
    if (overflowed) return;
    if (changes.size() >= MAX_WAITING) {
      overflowed = true;
      changes.clear();
      onOverflow.run();
      return;
    }
    changes.add(change);
  }

  boolean overflowed() {
    return overflowed;
  }

  /** Hands every waiting change, in arrival order, to {@code action}, and forgets them. */
  void drainTo(Consumer<Change> action) {
    changes.forEach(action);
    changes.clear();
  }
}
