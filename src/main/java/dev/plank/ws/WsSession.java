package dev.plank.ws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.hub.ErrorCode;
import dev.plank.hub.Hub;
import dev.plank.hub.Subscriber;
import dev.plank.hub.TextFrame;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket client. Reads its requests on the connection's event loop and hands them to the
 * hub; the hub calls back the {@link Subscriber} methods on its own context. A bad request gets an
 * {@code error} reply and never closes the connection.
 */
final class WsSession implements Subscriber {
  private static final Logger log = LoggerFactory.getLogger(WsSession.class);

  private final ServerWebSocket ws;
  private final Hub hub;
  private final ObjectMapper json;
  private final RequestReader reader;
  private final InboundMessage inbound; // owned by the connection's event loop
  private final Channel channel; // the upgraded connection's; written by the outbox only
  private final SessionOutbox outbox;
  private final Runnable onSlowConsumer;
  private final AtomicBoolean cutOff = new AtomicBoolean(); // closed as a slow consumer
  private volatile boolean open = true; // written on the connection's event loop, read by the hub
  private volatile long lastHeardNanos = System.nanoTime(); // any frame from the client
  private volatile long pingSentNanos; // written by the endpoint's timer only

  WsSession(
      ServerWebSocket ws,
      Channel channel,
      Hub hub,
      ObjectMapper json,
      int maxMessageBytes,
      long maxQueueBytes,
      LoopWriter writer,
      Runnable onSlowConsumer) {
    this.ws = ws;
    this.inbound = new InboundMessage(maxMessageBytes);
    this.outbox = new SessionOutbox(channel, writer, maxQueueBytes, this::tooSlow);
    this.channel = channel;
    this.onSlowConsumer = onSlowConsumer;
    this.hub = hub;
    this.json = json;
    this.reader = new RequestReader();
  }

  void start(Runnable onClose) {
    ws.frameHandler(this::onFrame);
    ws.pongHandler(pong -> lastHeardNanos = System.nanoTime());
    watchWritability();
    ws.exceptionHandler(err -> log.debug("WebSocket error: {}", err.getMessage()));
    ws.closeHandler(
        v -> {
          open = false;
          outbox.close();
          hub.disconnect(this);
          onClose.run();
        });
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
  Future<Void> close(short code, String reason) {
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
      ws.writePing(io.vertx.core.buffer.Buffer.buffer());
    }
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
    if (!frame.isText() && !frame.isBinary() && !frame.isContinuation()) return;
    if (!frame.isContinuation()) inbound.start(frame.isText());
    if (!inbound.append(frame.binaryData())) {
      close((short) 1009, "message too big (limit " + inbound.limit() + " bytes)");
      return;
    }
    if (!frame.isFinal()) return;
    if (inbound.isText()) {
      onText(inbound.finish());
    } else {
      inbound.finish();
      rejected(null, ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text");
    }
  }

  private void onText(String text) {
    JsonNode message;
    try {
      message = json.readTree(text);
    } catch (JsonProcessingException e) {
      rejected(null, ErrorCode.BAD_JSON, "message is not valid JSON: " + jsonProblem(e));
      return;
    }
    try {
      Request request = reader.read(message);
      if (request instanceof Request.Subscribe s) {
        hub.subscribe(this, s.request());
      } else if (request instanceof Request.Unsubscribe u) {
        hub.unsubscribe(this, u.channel(), u.id());
      } else if (request instanceof Request.Ping p) {
        reply(p.id(), "pong", null);
      }
    } catch (RequestException e) {
      rejected(e.id(), e.code(), e.getMessage());
    }
  }

  /** Jackson's message without its advice on which Java method to call. */
  private static String jsonProblem(JsonProcessingException e) {
    return e.getOriginalMessage().replaceAll(", from `[^`]*`", "");
  }

  @Override
  public void send(byte[] frame) {
    outbox.offer(frame);
  }

  @Override
  public void resync(String channel, String reason) {
    write(
        json.createObjectNode()
            .put("type", "resync")
            .put("channel", channel)
            .put("reason", reason));
  }

  @Override
  public Future<Void> whenWritable() {
    return outbox.whenRoom();
  }

  @Override
  public void tooSlow() {
    if (!open || !cutOff.compareAndSet(false, true)) return;
    log.info("Closing a slow consumer: its outbound queue passed the limit");
    onSlowConsumer.run();
    close((short) 1008, "slow consumer");
  }

  @Override
  public void subscribed(JsonNode id, String channel) {
    reply(id, "subscribed", channel);
  }

  @Override
  public void unsubscribed(JsonNode id, String channel) {
    reply(id, "unsubscribed", channel);
  }

  @Override
  public void rejected(JsonNode id, ErrorCode code, String message) {
    ObjectNode error = json.createObjectNode().put("type", "error");
    if (id != null) error.set("id", id);
    error.put("code", code.wireName()).put("message", message);
    write(error);
  }

  @Override
  public boolean isOpen() {
    return open && !cutOff.get();
  }

  private void reply(JsonNode id, String type, String channel) {
    ObjectNode reply = json.createObjectNode().put("type", type);
    if (id != null) reply.set("id", id);
    if (channel != null) reply.put("channel", channel);
    write(reply);
  }

  private void write(ObjectNode message) {
    try {
      send(TextFrame.of(json.writeValueAsBytes(message)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // an ObjectNode always serialises
    }
  }
}
