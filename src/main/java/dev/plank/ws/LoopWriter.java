package dev.plank.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
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
  // The loop's copy of the change being written, in direct memory: the socket needs the bytes
  // off-heap, and one copy per loop replaces one per session. Kept for one pass, on the loop.
  private byte[] cachedFrame;
  private ByteBuf cachedBuffer;

  LoopWriter(EventExecutor loop) {
    this.loop = loop;
  }

  /** Called from any thread by an outbox that has frames to write. */
  void schedule(SessionOutbox outbox) {
    pending.offer(outbox);
    if (scheduled.compareAndSet(false, true)) loop.execute(writeAll);
  }

  /**
   * The frame as a buffer for one write, sharing the pass's off-heap copy of the last frame seen:
   * when each session has one frame waiting, the sessions of a change ask for the same array one
   * after another. In a pass only.
   */
  ByteBuf buffer(byte[] frame, ByteBufAllocator alloc) {
    if (frame != cachedFrame) {
      dropCached();
      try {
        cachedBuffer = alloc.directBuffer(frame.length).writeBytes(frame);
      } catch (OutOfMemoryError e) {
        // Out of direct memory: hand Netty the heap bytes; its own copy fails this write alone.
        return Unpooled.wrappedBuffer(frame);
      }
      cachedFrame = frame;
    }
    return cachedBuffer.retainedDuplicate();
  }

  private void dropCached() {
    ByteBuf previous = cachedBuffer;
    cachedBuffer = null;
    cachedFrame = null;
    if (previous != null) previous.release(); // the writes in flight hold their own references
  }

  private void writeAll() {
    scheduled.set(false);
    try {
      SessionOutbox outbox;
      while ((outbox = pending.poll()) != null) outbox.flush();
    } finally {
      dropCached();
      // After a flush threw, the outboxes still queued would otherwise wait for another pass.
      if (!pending.isEmpty() && scheduled.compareAndSet(false, true)) loop.execute(writeAll);
    }
  }
}
