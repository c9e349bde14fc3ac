package dev.plank.hub;

import dev.plank.capture.Change;
import dev.plank.capture.HistoryRead;
import dev.plank.capture.Position;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Sends one subscription the changes of its channel after its cursor, read page by page from the
 * history and sent in slices of about {@link CatchUp#SLICE_BYTES}, each once the client has room.
 * Owned by the hub's context.
 */
final class LogReplay {
  static final int REPLAY_PAGE = 500;

  private final Subscription subscription;
  private final HistoryRead read;
  private final Position since;
  private final Pacer pacer;
  private final BooleanSupplier active;
  private final Runnable done; // the replay ended, or the client went away

  LogReplay(
      Subscription subscription,
      HistoryRead read,
      Position since,
      Pacer pacer,
      BooleanSupplier active,
      Runnable done) {
    this.subscription = subscription;
    this.read = read;
    this.since = since;
    this.pacer = pacer;
    this.active = active;
    this.done = done;
  }

  void start() {
    replay(-1);
  }

  private void replay(long afterSeq) {
    pacer.step(
        read.changesAfter(since, subscription.table, afterSeq, REPLAY_PAGE), page -> send(page, 0));
  }

  private void send(List<Change> page, int from) {
    if (!active.getAsBoolean()) {
      done.run();
      return;
    }
    int bytes = 0;
    for (int i = from; i < page.size(); i++) {
      Change change = page.get(i);
      Shape shape = subscription.shape(change);
      if (shape == Shape.NONE) continue;
      bytes += subscription.deliver(change, shape);
      if (bytes >= CatchUp.SLICE_BYTES && i + 1 < page.size()) {
        int next = i + 1;
        pacer.afterDrain(() -> send(page, next));
        return;
      }
    }
    if (page.size() < REPLAY_PAGE) done.run();
    else pacer.afterDrain(() -> replay(page.get(page.size() - 1).seq()));
  }
}
