package dev.plank.capture.notify;

import dev.plank.capture.Change;
import dev.plank.capture.PgSnapshot;
import dev.plank.capture.Position;

/**
 * Decides which changes the trigger source publishes, so that subscribers get every committed
 * change once although the same change can reach the source twice: as a live notification and in a
 * read of the log (the starting snapshot, or the catch-up after an outage).
 *
 * <ul>
 *   <li>A live change is published unless the last read already covered its transaction (the read's
 *       snapshot sees it).
 *   <li>A replayed change is published unless the last read covered it, or this node published it
 *       before the outage: a transaction published only partly (the connection dropped halfway
 *       through its notifications, which come in seq order) gets the rest of its changes, not the
 *       part it already had.
 *   <li>The frontier, where the next catch-up replays from, is the position of the highest seq
 *       published.
 * </ul>
 *
 * <p>Plain state, no I/O. Owned by the trigger source's context (the hub's event loop).
 */
final class Deduplicator {
  private Position frontier; // null until the first LISTEN fixed the starting position
  private final PublishedTransactions published = new PublishedTransactions();
  // Transactions the last read covered; their live notifications are duplicates.
  private PgSnapshot covered;

  /** Whether the starting position is fixed: the next LISTEN follows an outage. */
  boolean hasStarted() {
    return frontier != null;
  }

  /**
   * The first LISTEN is in place. {@code snapshot}, taken after it, saw everything committed
   * before: not ours to send. {@code start} is the log's position at that snapshot.
   */
  void start(PgSnapshot snapshot, Position start) {
    covered = snapshot;
    frontier = start;
  }

  /** Where a catch-up after an outage replays from. */
  Position frontier() {
    return frontier;
  }

  /** A live change: true if it is to be published, and it then counts as published. */
  boolean admitLive(Change change) {
    if (covered != null && covered.sees(change.xid())) return false;
    record(change);
    return true;
  }

  /** A change the catch-up read from the log: true if it is to be published, as above. */
  boolean admitReplayed(Change change) {
    if (published.contains(change.xid(), change.seq())) return false;
    if (covered != null && covered.sees(change.xid())) return false;
    record(change);
    return true;
  }

  /** A catch-up read ended: live notifications of the transactions it saw are duplicates. */
  void caughtUp(PgSnapshot read) {
    covered = read;
  }

  /** What the frontier needed was pruned; subscribers resync, and capture goes on from here. */
  void skipTo(Position position) {
    frontier = position;
  }

  private void record(Change change) {
    if (frontier == null || change.seq() > frontier.seq()) frontier = change.position();
    published.add(change.xid(), change.seq(), frontier.xmin());
  }
}
