package dev.plank.web;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * The address of the client behind a request, for per-client limits and logs. Immutable, so every
 * event loop may share one.
 */
public record ClientAddress() {
  /** The client's IP address as text. */
  public String of(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    return remote == null ? "unknown" : remote.hostAddress();
  }
}
