package dev.plank.web;

import dev.plank.config.LimitSettings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Closes an HTTP connection that is too slow to send a request, or idle between requests, until it
 * becomes a WebSocket (then pings watch it). A request must be whole, headers and body (or the
 * upgrade), within PLANK_HEADER_TIMEOUT of its first byte: silent, trickling and half-sent requests
 * (slowloris) cannot hold a descriptor for long. A kept-alive connection may stay silent for
 * PLANK_IDLE_TIMEOUT between requests. A request being answered has no deadline here.
 *
 * <p>Installed first in the connection's pipeline, it sees every byte that arrives. Owned by the
 * connection's event loop, as are its fields.
 */
final class ConnectionDeadline extends ChannelInboundHandlerAdapter {
  static final String NAME = "plank-deadline";

  private enum Phase {
    RECEIVING,
    IDLE,
    UPGRADED
  }

  private final Channel channel;
  private final LimitSettings limits;
  private final Consumer<String> onLimit;
  private Phase phase = Phase.RECEIVING;
  private ScheduledFuture<?> timer; // on the channel's event loop, so no Vert.x context is needed
  private HttpServerRequest current; // its headers are in; null between requests

  ConnectionDeadline(Channel channel, LimitSettings limits, Consumer<String> onLimit) {
    this.channel = channel;
    this.limits = limits;
    this.onLimit = onLimit;
  }

  /** The connection was accepted: its first request is due. */
  void start() {
    channel.pipeline().addFirst(NAME, this);
    arm(Phase.RECEIVING, limits.headerTimeout().toMillis());
    channel.closeFuture().addListener(f -> cancel());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    // The first byte of the next request on a kept-alive connection.
    if (phase == Phase.IDLE) arm(Phase.RECEIVING, limits.headerTimeout().toMillis());
    ctx.fireChannelRead(msg);
  }

  /** A request's headers are in; its body must follow within the same deadline. */
  void request(HttpServerRequest request) {
    current = request;
  }

  /** The answer went out: the connection waits for its next request. */
  void responseEnded() {
    current = null;
    if (phase != Phase.UPGRADED) arm(Phase.IDLE, limits.idleTimeout().toMillis());
  }

  /** The connection is a WebSocket now; pings watch it from here. */
  void upgraded() {
    phase = Phase.UPGRADED;
    cancel();
    if (channel.pipeline().get(NAME) != null) channel.pipeline().remove(NAME);
  }

  private void arm(Phase next, long millis) {
    cancel();
    phase = next;
    ScheduledFuture<?>[] self = {null};
    self[0] = channel.eventLoop().schedule(() -> expired(self[0]), millis, TimeUnit.MILLISECONDS);
    timer = self[0];
  }

  private void cancel() {
    if (timer != null) timer.cancel(false);
    timer = null;
  }

  // Closing needs no outcome: the close future's listener does the bookkeeping.
  @SuppressWarnings("FutureReturnValueIgnored")
  private void close() {
    channel.close();
  }

  private void expired(ScheduledFuture<?> which) {
    if (which != timer) return; // re-armed meanwhile
    timer = null;
    switch (phase) {
      case IDLE -> {
        onLimit.accept("idle_timeout");
        close();
      }
      case RECEIVING -> {
        // A whole request is being answered: no deadline until its response ends.
        if (current != null && current.isEnded()) return;
        onLimit.accept("header_timeout");
        close();
      }
      case UPGRADED -> {
        // nothing: pings watch a WebSocket
      }
    }
  }
}
