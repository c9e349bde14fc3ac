package dev.plank.web;

import dev.plank.api.Problem;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Refuses requests whose {@code Host} names a host this server does not answer for, with 421.
 *
 * <p>Why: DNS rebinding. A page on {@code evil.example} can make its own name resolve to 127.0.0.1
 * and then read a local Plank's API and WebSockets as "same origin"; the browser still sends {@code
 * Host: evil.example}. So a node bound to loopback accepts only loopback names by default.
 * Immutable.
 *
 * @param allowed lower-case host names without port ({@code [::1]} in brackets); null for any
 */
record HostGuard(List<String> allowed) implements Handler<io.vertx.ext.web.RoutingContext> {
  static final List<String> LOOPBACK_NAMES = List.of("localhost", "127.0.0.1", "[::1]");

  HostGuard {
    allowed = allowed == null ? null : List.copyOf(allowed);
  }

  /** The configured list; unset, loopback names when bound to loopback, else any host. */
  static HostGuard of(String bindHost, List<String> configured) {
    if (configured != null) return new HostGuard(configured.contains("*") ? null : configured);
    return new HostGuard(isLoopback(bindHost) ? LOOPBACK_NAMES : null);
  }

  /** Whether {@code host} (a bind address or name) is a loopback address. */
  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public void handle(io.vertx.ext.web.RoutingContext ctx) {
    if (allowed == null) {
      ctx.next();
      return;
    }
    String host = hostName(ctx.request());
    if (host == null) {
      Problem.send(ctx, 400, "the request has no Host header");
    } else if (!allowed.contains(host)) {
      Problem.send(ctx, 421, "this server does not answer for that Host; see PLANK_ALLOWED_HOSTS");
    } else {
      ctx.next();
    }
  }

  /** The request's host name without port, lower case, IPv6 in brackets; null if none. */
  static String hostName(HttpServerRequest request) {
    String raw = request.getHeader("Host");
    if (raw == null) {
      HostAndPort authority = request.authority();
      if (authority == null) return null;
      raw = authority.host();
    }
    String host = raw.strip().toLowerCase(Locale.ROOT);
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      host = end < 0 ? host : host.substring(0, end + 1);
    } else {
      int colon = host.indexOf(':');
      if (colon >= 0) host = host.substring(0, colon);
      // localhost. is localhost.
      if (host.endsWith(".")) host = host.substring(0, host.length() - 1);
    }
    return host.isEmpty() ? null : host;
  }
}
