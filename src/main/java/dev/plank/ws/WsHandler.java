package dev.plank.ws;

import dev.plank.auth.BearerToken;
import dev.plank.auth.Principal;
import dev.plank.auth.TokenException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * A protocol spoken on a WebSocket path: it gets the client's messages, whole and within the size
 * limit, and answers through its {@link WsConnection}. Called on the connection's event loop.
 */
public interface WsHandler {
  void onText(String message);

  void onBinary(Buffer message);

  /**
   * A message refused for the connection's rate, not parsed or acted on: the protocol says so.
   *
   * @param text the message when it came whole as one text frame (to echo its id), else null
   */
  void onRateLimited(String text, String reason);

  /** The connection closed; nothing written from now on reaches the client. */
  void onClose();

  /** Makes the handler of each new connection on one path. */
  @FunctionalInterface
  interface Factory {
    /**
     * @param principal who the upgrade request's token was verified as, or {@code null} when it
     *     came without a token (the protocol may still authenticate it later)
     */
    WsHandler open(WsConnection connection, Principal principal);

    /**
     * The token the upgrade request carries for this protocol, verified before the upgrade, or null
     * for none.
     *
     * @throws TokenException for a malformed {@code Authorization} header
     */
    default String token(HttpServerRequest request) throws TokenException {
      return BearerToken.of(request);
    }
  }
}
