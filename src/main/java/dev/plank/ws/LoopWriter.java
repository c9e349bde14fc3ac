package dev.plank.ws;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes for every session of one event loop. The hub hands out a change from its own thread;
 * instead of one task per session, the sessions with new frames queue up here and one task on the
 * loop writes them all, each session's frames with a single flush. Under load, frames that arrive
 * before the task runs join it, so writes coalesce by themselves.
 */
final class LoopWriter {
  private final EventExecutor loop;
  private final Queue<SessionOutbox> pending = PlatformDependent.newMpscQueue();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Runnable writeAll = this::writeAll;

  LoopWriter(EventExecutor loop) {
    this.loop = loop;
  }

  /** Called from any thread by an outbox that has frames to write. */
  void schedule(SessionOutbox outbox) {
    pending.offer(outbox);
    if (scheduled.compareAndSet(false, true)) loop.execute(writeAll);
  }

  private void writeAll() {
    scheduled.set(false);
    SessionOutbox outbox;
    while ((outbox = pending.poll()) != null) outbox.flush();
  }
}
