package dev.plank.ws;

import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames on their way to one client, bounded in bytes. While the socket keeps up, frames go
 * straight into Vert.x's queue, which writes a burst with one flush. When the client stops reading,
 * that queue fills (Netty's 64 KiB plus 16 frames) and frames wait here instead, counted; past the
 * bound they are dropped and the client is closed as a slow consumer, so it costs at most its
 * bound.
 *
 * <p>Offered on the hub's context and drained on the connection's event loop: both hold the monitor
 * of this outbox, which only enqueues and never touches the socket itself.
 */
final class SessionOutbox {
  private final ServerWebSocket ws;
  private final long maxBytes;
  private final Runnable onOverflow;
  private final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
  private final List<Promise<Void>> roomWaiters = new ArrayList<>();
  private long waitingBytes;
  private boolean overflowed; // or closed: nothing more is sent

  SessionOutbox(ServerWebSocket ws, long maxBytes, Runnable onOverflow) {
    this.ws = ws;
    this.maxBytes = maxBytes;
    this.onOverflow = onOverflow;
  }

  /** Queues a frame; the bytes are shared with other sessions and never modified. */
  void offer(byte[] frame) {
    boolean overflowNow;
    synchronized (this) {
      if (overflowed) return;
      if (waiting.isEmpty() && !ws.writeQueueFull()) {
        write(frame);
        return;
      }
      // A single frame larger than the bound still goes out when nothing else waits.
      overflowNow = waitingBytes > 0 && waitingBytes + frame.length > maxBytes;
      if (overflowNow) {
        overflowed = true;
        waiting.clear();
        waitingBytes = 0;
      } else {
        waiting.add(frame);
        waitingBytes += frame.length;
      }
    }
    if (overflowNow) onOverflow.run();
  }

  /** Moves waiting frames on once Vert.x's queue has room; runs on the connection's event loop. */
  void drain() {
    List<Promise<Void>> ready;
    synchronized (this) {
      while (!waiting.isEmpty() && !ws.writeQueueFull()) {
        byte[] frame = waiting.poll();
        waitingBytes -= frame.length;
        write(frame);
      }
      if (!hasRoom()) return;
      ready = new ArrayList<>(roomWaiters);
      roomWaiters.clear();
    }
    ready.forEach(Promise::tryComplete);
  }

  /** Completes when nothing waits here and Vert.x's queue has room. */
  Future<Void> whenRoom() {
    synchronized (this) {
      if (overflowed || hasRoom()) return Future.succeededFuture();
      Promise<Void> promise = Promise.promise();
      roomWaiters.add(promise);
      return promise.future();
    }
  }

  /** The connection is gone: drop what waits and release whoever waits for room. */
  void close() {
    List<Promise<Void>> released;
    synchronized (this) {
      overflowed = true;
      waiting.clear();
      waitingBytes = 0;
      released = new ArrayList<>(roomWaiters);
      roomWaiters.clear();
    }
    released.forEach(Promise::tryComplete);
  }

  private boolean hasRoom() {
    return waiting.isEmpty() && !ws.writeQueueFull();
  }

  private void write(byte[] frame) {
    // A fresh wrapper per write: Netty releases what it writes, the shared bytes stay intact.
    ws.writeFrame(
        new WebSocketFrameImpl(WebSocketFrameType.TEXT, Unpooled.wrappedBuffer(frame), true));
  }
}
