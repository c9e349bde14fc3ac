package dev.plank.ws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.hub.ErrorCode;
import dev.plank.hub.Hub;
import dev.plank.hub.Subscriber;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
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
  private volatile boolean open = true; // written on the connection's event loop, read by the hub

  WsSession(ServerWebSocket ws, Hub hub, ObjectMapper json, int maxMessageBytes) {
    this.ws = ws;
    this.inbound = new InboundMessage(maxMessageBytes);
    this.hub = hub;
    this.json = json;
    this.reader = new RequestReader();
  }

  void start(Runnable onClose) {
    ws.frameHandler(this::onFrame);
    ws.exceptionHandler(err -> log.debug("WebSocket error: {}", err.getMessage()));
    ws.closeHandler(
        v -> {
          open = false;
          hub.disconnect(this);
          onClose.run();
        });
  }

  Future<Void> close(short code, String reason) {
    return ws.close(code, reason);
  }

  /**
   * Assembles messages from frames ourselves: Vert.x drops an over-long message silently, while a
   * client deserves a 1009 close that says why.
   */
  private void onFrame(WebSocketFrame frame) {
    if (!frame.isText() && !frame.isBinary() && !frame.isContinuation()) return;
    if (!frame.isContinuation()) inbound.start(frame.isText());
    if (!inbound.append(frame.binaryData())) {
      ws.close((short) 1009, "message too big (limit " + inbound.limit() + " bytes)");
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
      rejected(null, ErrorCode.BAD_JSON, "message is not valid JSON: " + e.getOriginalMessage());
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

  @Override
  public void send(byte[] frame) {
    // A fresh wrapper per write: Netty releases what it writes, the shared bytes stay intact.
    ws.writeFrame(
        new WebSocketFrameImpl(WebSocketFrameType.TEXT, Unpooled.wrappedBuffer(frame), true));
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
    return open;
  }

  private void reply(JsonNode id, String type, String channel) {
    ObjectNode reply = json.createObjectNode().put("type", type);
    if (id != null) reply.set("id", id);
    if (channel != null) reply.put("channel", channel);
    write(reply);
  }

  private void write(ObjectNode message) {
    try {
      send(json.writeValueAsBytes(message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // an ObjectNode always serialises
    }
  }
}
