package dev.plank.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The frames on their way to one client, bounded in bytes. Frames are whole WebSocket frames,
 * encoded once per change and shared; they are written straight to the socket on the connection's
 * event loop, skipping Vert.x's per-write machinery and the pipeline's handlers. While the socket
 * keeps up the queue is empty; when the client stops reading, Netty's buffer fills to its
 * high-water mark (64 KiB), frames wait here, counted, and past the bound the client is closed as a
 * slow consumer, so it costs at most its bound.
 *
 * <p>{@link #offer} is called from any thread (the hub's context, the connection's event loop);
 * {@link #flush} runs in the {@link LoopWriter}'s pass on the connection's event loop only, the
 * single consumer of the queue.
 */
final class SessionOutbox {
  private final Channel channel;
  // Frames are complete on the wire, so the pipeline's handlers (Vert.x's chunked writer, the
  // WebSocket encoders) would only pass them on: writing from the first handler's context hands
  // them straight to the socket's head. Not with TLS, which must see every byte.
  private final boolean direct;
  private final LoopWriter writer;
  private final long maxBytes;
  private final Runnable onOverflow;
  private final Queue<byte[]> frames = PlatformDependent.newMpscQueue();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  // Checked on every flush, filled only while a replay waits: a lock-free queue keeps it cheap.
  private final Queue<Promise<Void>> roomWaiters = new ConcurrentLinkedQueue<>();
  private volatile boolean closed; // overflowed or disconnected: nothing more is written

  SessionOutbox(Channel channel, LoopWriter writer, long maxBytes, Runnable onOverflow) {
    this.channel = channel;
    this.direct = channel.pipeline().get(SslHandler.class) == null;
    this.writer = writer;
    this.maxBytes = maxBytes;
    this.onOverflow = onOverflow;
  }

  /** Queues a frame; the bytes are shared with other sessions and never modified. */
  void offer(byte[] frame) {
    if (closed) return;
    if (queuedBytes.addAndGet(cost(frame)) > maxBytes) {
      closed = true;
      schedule(); // the event loop drops what waits
      onOverflow.run();
      return;
    }
    frames.offer(frame);
    schedule();
  }

  /**
   * What a frame counts against the bound. Frames are shared by every session that gets them, so a
   * stalled client pins frames, not copies of them; a large change (up to PLANK_MAX_CHANGE_BYTES)
   * counts as at most a quarter of the bound, so that it reaches a client that keeps up even while
   * other frames wait, and a client that stops reading is still cut after a few of them.
   */
  private long cost(byte[] frame) {
    return Math.min(frame.length, maxBytes / 4);
  }

  /** The socket drained: what waits goes out in the loop writer's next pass. */
  void resume() {
    schedule();
  }

  /**
   * Writes what waits while the channel is writable, with one flush; on the event loop, from the
   * loop writer's pass only.
   */
  // The void promise: a failed write surfaces in the pipeline's exception handler, not a future.
  @SuppressWarnings("FutureReturnValueIgnored")
  void flush() {
    scheduled.set(false);
    if (closed) {
      discard();
      return;
    }
    ChannelOutboundInvoker out = writeTarget();
    boolean wrote = false;
    byte[] frame;
    while (channel.isWritable() && (frame = frames.poll()) != null) {
      out.write(bufferFor(frame), channel.voidPromise());
      queuedBytes.addAndGet(-cost(frame));
      wrote = true;
    }
    if (wrote) out.flush();
    if (frames.isEmpty() && channel.isWritable()) releaseWaiters();
  }

  // TLS would write into a shared buffer (its coalescing queue appends to the first one it holds).
  private ByteBuf bufferFor(byte[] frame) {
    return direct ? writer.buffer(frame, channel.alloc()) : Unpooled.wrappedBuffer(frame);
  }

  private ChannelOutboundInvoker writeTarget() {
    ChannelHandlerContext first = direct ? channel.pipeline().firstContext() : null;
    return first != null ? first : channel;
  }

  /** Completes when nothing waits here and the socket takes more: replays go page by page. */
  Future<Void> whenRoom() {
    if (closed) return Future.succeededFuture();
    Promise<Void> promise = Promise.promise();
    roomWaiters.add(promise);
    schedule(); // a pass on the event loop releases it as soon as there is room
    return promise.future();
  }

  /** The connection is gone: drop what waits and release whoever waits for room. */
  void close() {
    closed = true;
    schedule();
    releaseWaiters();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) writer.schedule(this);
  }

  private void discard() {
    while (frames.poll() != null) {
      // dropped: the client resumes from its cursor
    }
    queuedBytes.set(0);
    releaseWaiters();
  }

  private void releaseWaiters() {
    Promise<Void> waiter;
    while ((waiter = roomWaiters.poll()) != null) waiter.tryComplete();
  }
}
