package dev.plank.ws;

import dev.plank.config.LimitSettings;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket client, as a transport: assembles its messages from frames (closing with 1009 past
 * the limit), writes whole frames through a bounded {@link SessionOutbox}, pings a quiet client and
 * closes one that stopped answering. What the messages mean is the {@link WsHandler}'s business.
 *
 * <p>Frames are read on the connection's event loop; {@link #send}, {@link #whenWritable}, {@link
 * #tooSlow} and {@link #isOpen} may be called from any thread (the hub's context).
 */
public final class WsConnection {
  private static final Logger log = LoggerFactory.getLogger(WsConnection.class);
  private static final byte[] CLOSE_RATE_LIMITED = CloseFrame.of((short) 1008, "rate limited");

  private final ServerWebSocket ws;
  private final InboundMessage inbound; // owned by the connection's event loop
  private final Channel channel; // the upgraded connection's; written by the outbox only
  private final SessionOutbox outbox;
  private final Runnable onSlowConsumer;
  private final AtomicBoolean cutOff = new AtomicBoolean(); // closed as a slow consumer
  private final LimitSettings limits;
  private final Consumer<String> onLimit; // counts a limit hit by name
  private final Runnable onRateLimitClose; // tells the connection guard to cool the address down
  private final String address; // the client's, as ClientAddress says (proxy-aware)
  // Rate limits, owned by the connection's event loop: checked before a message is parsed, so a
  // flood costs a counter, not work on the hub.
  private final TokenBucket frames;
  private final TokenBucket operations;
  private int frameStrikes; // refusals since the client was last under its rate
  private int operationStrikes;
  private boolean discarding; // the rest of a refused fragmented message is dropped
  private boolean readPaused; // reading stopped until the message bucket refills
  private WsHandler handler; // set once by start, on the connection's event loop
  private volatile boolean open = true; // written on the connection's event loop, read by the hub
  private volatile long lastHeardNanos = System.nanoTime(); // any frame from the client
  private volatile long pingSentNanos; // written by the endpoint's timer only

  WsConnection(
      ServerWebSocket ws,
      Channel channel,
      int maxMessageBytes,
      long maxQueueBytes,
      LoopWriter writer,
      Runnable onSlowConsumer,
      LimitSettings limits,
      Consumer<String> onLimit,
      String address,
      Runnable onRateLimitClose) {
    this.ws = ws;
    this.limits = limits;
    this.onLimit = onLimit;
    this.onRateLimitClose = onRateLimitClose;
    this.address = address;
    long now = System.nanoTime();
    this.frames = new TokenBucket(limits.messageRate(), limits.messageBurst(), now);
    this.operations = new TokenBucket(limits.subscribeRate(), limits.subscribeBurst(), now);
    this.inbound = new InboundMessage(maxMessageBytes);
    this.outbox = new SessionOutbox(channel, writer, maxQueueBytes, this::tooSlow);
    this.channel = channel;
    this.onSlowConsumer = onSlowConsumer;
  }

  void start(WsHandler handler, Runnable onClose) {
    this.handler = handler;
    ws.frameHandler(this::onFrame);
    ws.pongHandler(pong -> lastHeardNanos = System.nanoTime());
    watchWritability();
    ws.exceptionHandler(err -> log.debug("WebSocket error: {}", err.getMessage()));
    ws.closeHandler(
        v -> {
          open = false;
          outbox.close();
          handler.onClose();
          onClose.run();
        });
  }

  /**
   * Queues a whole WebSocket frame ({@link TextFrame}), possibly shared with other connections:
   * never modified.
   */
  public void send(byte[] frame) {
    outbox.offer(frame);
  }

  /** Completes once the outbound queue has room: replays send page by page. */
  public Future<Void> whenWritable() {
    return outbox.whenRoom();
  }

  /** The client cannot keep up: closes it with 1008; it resumes from its cursor. */
  public void tooSlow() {
    if (!open || !cutOff.compareAndSet(false, true)) return;
    log.info("Closing a slow consumer: its outbound queue passed the limit");
    onSlowConsumer.run();
    close((short) 1008, "slow consumer");
  }

  /**
   * A query parameter of the upgrade request, or null: protocols read their options there ({@code
   * vsn}). Never log it whole: the query may hold a token.
   */
  public String queryParam(String name) {
    String query = ws.query();
    if (query == null) return null;
    java.util.List<String> values =
        new io.netty.handler.codec.http.QueryStringDecoder(query, false).parameters().get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** The client's address (behind a trusted proxy, the forwarded one). */
  public String address() {
    return address;
  }

  /** False once the connection closed or was cut off. */
  public boolean isOpen() {
    return open && !cutOff.get();
  }

  /** Frames wait while the socket is full; Netty says when it drained below its low-water mark. */
  private void watchWritability() {
    channel
        .pipeline()
        .addFirst(
            "plank-writability",
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelWritabilityChanged(ChannelHandlerContext c) {
                if (c.channel().isWritable()) outbox.resume();
                c.fireChannelWritabilityChanged();
              }
            });
  }

  /**
   * Closes with a code. What waits in the outbox is dropped (the client resumes from its cursor),
   * and nothing may follow the Close frame.
   */
  public Future<Void> close(short code, String reason) {
    outbox.close();
    return ws.close(code, reason);
  }

  /**
   * Pings a client that has been quiet for an interval, and closes one that left a ping unanswered
   * for a whole interval: a peer that vanished without a FIN would otherwise hold its socket and
   * queue forever. Called from the endpoint's timer.
   */
  void checkAlive(long nowNanos, long intervalNanos) {
    long heard = lastHeardNanos;
    long pinged = pingSentNanos;
    if (pinged > heard) {
      if (nowNanos - pinged >= intervalNanos) {
        log.debug("Closing a WebSocket that stopped answering pings");
        close((short) 1001, "ping timeout");
      }
    } else if (nowNanos - heard >= intervalNanos) {
      pingSentNanos = nowNanos;
      ws.writePing(Buffer.buffer());
    }
  }

  /**
   * Takes a token for a subscribe or unsubscribe (or any operation that costs the hub work); false
   * when the client is over {@code PLANK_SUBSCRIBE_RATE}, and then the caller refuses it. On the
   * connection's event loop.
   */
  public boolean allowOperation() {
    long now = System.nanoTime();
    if (operations.isFull(now)) operationStrikes = 0;
    if (operations.tryTake(now)) return true;
    onLimit.accept("subscribe_rate");
    if (++operationStrikes > limits.rateLimitStrikes()) rateLimitClose();
    return false;
  }

  /** The refusal text for an operation over {@link #allowOperation}'s rate. */
  public String operationRateMessage() {
    return "more than "
        + limits.subscribeRate()
        + " subscribe/unsubscribe requests a second; slow down";
  }

  /**
   * Every frame but a Close takes a token, pings included: a flood of cheap messages still costs
   * the event loop it shares with other clients (and perhaps with the hub). A refused message gets
   * the protocol's refusal; one that keeps coming closes the connection with 1008.
   */
  private boolean admit(WebSocketFrame frame) {
    long now = System.nanoTime();
    if (frames.isFull(now)) frameStrikes = 0;
    if (frames.tryTake(now)) return true;
    onLimit.accept("message_rate");
    if (++frameStrikes > limits.rateLimitStrikes()) {
      rateLimitClose();
      return false;
    }
    pauseUntilToken(now);
    if (frame.isText() || frame.isBinary() || frame.isContinuation()) {
      boolean whole = !frame.isContinuation() && frame.isFinal();
      if (!discarding) {
        handler.onRateLimited(
            whole && frame.isText() ? frame.textData() : null,
            "more than " + limits.messageRate() + " messages a second; slow down");
      }
      inbound.start(false); // drops what was assembled of this message
      discarding = !frame.isFinal();
    }
    return false;
  }

  /**
   * Stops reading the socket until the bucket holds a token again: the flood then waits in the
   * client's own TCP buffers instead of costing this event loop a refusal per frame.
   */
  private void pauseUntilToken(long now) {
    if (readPaused) return;
    readPaused = true;
    ws.pause();
    // Vert.x's pause only stops delivery: Netty would go on reading and decoding the flood into
    // its queue. Stopping reads at the socket leaves it in the kernel and then in the client.
    channel.config().setAutoRead(false);
    var unused =
        channel
            .eventLoop()
            .schedule(
                () -> {
                  readPaused = false;
                  // Cut off: the close handshake is not worth reading the flood's backlog for;
                  // Vert.x drops the socket at its closing timeout.
                  if (!open || cutOff.get()) return;
                  channel.config().setAutoRead(true);
                  ws.resume();
                },
                frames.nanosUntilToken(now),
                TimeUnit.NANOSECONDS);
  }

  private void rateLimitClose() {
    if (!open || !cutOff.compareAndSet(false, true)) return;
    onLimit.accept("rate_limit_close");
    onRateLimitClose.run();
    log.debug("Closing a WebSocket that kept sending over its rate");
    // Not one more byte of the flood is read or decoded: no close handshake (waiting for the
    // client's Close frame means reading its backlog, and Vert.x reads on while it waits), and
    // the socket is closed as soon as our Close frame is written. Closing with input unread makes
    // the kernel reset the connection, dropping the backlog in its buffers unread.
    channel.config().setAutoRead(false);
    outbox.close();
    // Past Vert.x's handlers: its close is a graceful shutdown that goes on reading the socket.
    ChannelHandlerContext first = channel.pipeline().firstContext();
    ChannelOutboundInvoker out = channel.pipeline().get(SslHandler.class) == null ? first : channel;
    var unused =
        out.writeAndFlush(Unpooled.wrappedBuffer(CLOSE_RATE_LIMITED))
            .addListener(
                written -> {
                  var unusedClose = first.close();
                });
    // A flooder that does not read either may never let the Close frame out.
    var unusedTimer =
        channel
            .eventLoop()
            .schedule(
                () -> {
                  var unusedClose = first.close();
                },
                100,
                TimeUnit.MILLISECONDS);
  }

  /**
   * Assembles messages from frames ourselves: Vert.x drops an over-long message silently, while a
   * client deserves a 1009 close that says why.
   */
  private void onFrame(WebSocketFrame frame) {
    lastHeardNanos = System.nanoTime();
    if (frame.isClose()) {
      // Vert.x answers with its own Close frame; no change frame may follow it on the wire.
      outbox.close();
      return;
    }
    if (cutOff.get() || !admit(frame)) return;
    if (!frame.isText() && !frame.isBinary() && !frame.isContinuation()) return;
    if (discarding) {
      // The rest of a message whose start was refused.
      discarding = !frame.isFinal();
      return;
    }
    if (!frame.isContinuation()) inbound.start(frame.isText());
    if (!inbound.append(frame.binaryData())) {
      close((short) 1009, "message too big (limit " + inbound.limit() + " bytes)");
      return;
    }
    if (!frame.isFinal()) return;
    if (inbound.isText()) handler.onText(inbound.finish());
    else handler.onBinary(inbound.finishBinary());
  }
}
