package dev.plank.web;

import dev.plank.config.Cidr;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The address of the client behind a request, for per-client limits and logs. Immutable, so every
 * event loop may share one.
 *
 * <p>A request's direct peer is the client unless the peer is one of {@code trustedProxies}. Only
 * then are {@code X-Forwarded-For} (preferred: what nearly every proxy appends to) or, without it,
 * {@code Forwarded: for=} read, right to left: each trusted proxy appended the address it saw, so
 * the right-most address that is not itself a trusted proxy is the client; anything left of it was
 * written by that client and may be forged.
 *
 * @param trustedProxies the proxies whose forwarding headers are believed (empty: none)
 */
public record ClientAddress(List<Cidr> trustedProxies) {
  private static final String X_FORWARDED_FOR = "X-Forwarded-For";
  private static final String FORWARDED = "Forwarded";

  public ClientAddress {
    trustedProxies = List.copyOf(trustedProxies);
  }

  /** Believes no forwarding header: the direct peer is the client. */
  public ClientAddress() {
    this(List.of());
  }

  /** The client's IP address as text. */
  public String of(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    if (remote == null || remote.hostAddress() == null) return "unknown";
    String peer = remote.hostAddress();
    if (trustedProxies.isEmpty()) return peer;
    InetAddress peerAddress = Cidr.literal(peer);
    if (peerAddress == null || !trusted(peerAddress)) return peer;
    List<String> hops = hops(request);
    InetAddress nearest = peerAddress;
    for (int i = hops.size() - 1; i >= 0; i--) {
      InetAddress hop = Cidr.literal(hops.get(i));
      // A hop a trusted proxy could not name ("unknown", an obfuscated id): the client is behind
      // that proxy, and the proxy is the best that can be said.
      if (hop == null) return nearest.getHostAddress();
      if (!trusted(hop)) return hop.getHostAddress();
      nearest = hop;
    }
    return nearest.getHostAddress();
  }

  private boolean trusted(InetAddress address) {
    for (Cidr cidr : trustedProxies) {
      if (cidr.contains(address)) return true;
    }
    return false;
  }

  /** The forwarded addresses, client first, without ports, brackets or quotes. */
  private static List<String> hops(HttpServerRequest request) {
    List<String> hops = new ArrayList<>();
    List<String> xff = request.headers().getAll(X_FORWARDED_FOR);
    if (!xff.isEmpty()) {
      for (String line : xff) {
        for (String item : line.split(",", -1)) hops.add(host(item.strip()));
      }
      return hops;
    }
    for (String line : request.headers().getAll(FORWARDED)) {
      for (String element : line.split(",", -1)) {
        for (String pair : element.split(";", -1)) {
          String p = pair.strip();
          if (p.toLowerCase(Locale.ROOT).startsWith("for=")) {
            hops.add(host(unquote(p.substring(4).strip())));
          }
        }
      }
    }
    return hops;
  }

  /** {@code 192.0.2.7}, {@code 192.0.2.7:1234}, {@code [2001:db8::1]:80} or {@code 2001:db8::1}. */
  private static String host(String item) {
    if (item.startsWith("[")) {
      int end = item.indexOf(']');
      return end < 0 ? item : item.substring(1, end);
    }
    int colon = item.indexOf(':');
    // One colon: IPv4 with a port; more: a bare IPv6 address.
    return colon >= 0 && colon == item.lastIndexOf(':') ? item.substring(0, colon) : item;
  }

  private static String unquote(String value) {
    return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
        ? value.substring(1, value.length() - 1)
        : value;
  }
}
