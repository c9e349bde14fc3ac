package dev.plank.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.config.Cidr;
import dev.plank.support.RawHttp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Forwarding headers name the client only when the peer that sent them is a trusted proxy; over
 * real sockets, the test's connections come from 127.0.0.1.
 */
class ClientAddressTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aForwardedForFromAnUntrustedPeerIsIgnored() throws Exception {
    assertThat(seen(new ClientAddress(), "X-Forwarded-For", "203.0.113.9")).isEqualTo("127.0.0.1");
    assertThat(seen(proxies("10.0.0.0/8"), "X-Forwarded-For", "203.0.113.9"))
        .isEqualTo("127.0.0.1");
    assertThat(seen(proxies("10.0.0.0/8"), "Forwarded", "for=203.0.113.9")).isEqualTo("127.0.0.1");
  }

  @Test
  void aTrustedProxyIsBelievedRightToLeftUpToTheFirstUntrustedHop() throws Exception {
    // The client forged the left-most entry; the proxy appended what it saw.
    assertThat(seen(proxies("127.0.0.1"), "X-Forwarded-For", "198.51.100.1, 203.0.113.9"))
        .isEqualTo("203.0.113.9");
    // Two proxies deep: the inner proxy's own address is skipped.
    assertThat(seen(proxies("127.0.0.0/8, 10.0.0.0/8"), "X-Forwarded-For", "203.0.113.9, 10.1.2.3"))
        .isEqualTo("203.0.113.9");
    assertThat(seen(proxies("127.0.0.1"), "X-Forwarded-For", "203.0.113.9:4711"))
        .isEqualTo("203.0.113.9");
    assertThat(
            seen(
                proxies("::1, 127.0.0.1"),
                "Forwarded",
                "for=198.51.100.1;proto=https, for=\"[2001:db8::17]:4711\""))
        .isEqualTo("2001:db8:0:0:0:0:0:17");
    // What no trusted proxy could name stays the proxy's address, not the client's text.
    assertThat(seen(proxies("127.0.0.1"), "X-Forwarded-For", "evil<script>"))
        .isEqualTo("127.0.0.1");
    assertThat(seen(proxies("127.0.0.1"), "X-Forwarded-For", "localhost")).isEqualTo("127.0.0.1");
    assertThat(seen(proxies("127.0.0.1"))).isEqualTo("127.0.0.1");
  }

  private static ClientAddress proxies(String list) {
    return new ClientAddress(Arrays.stream(list.split(",", -1)).map(Cidr::parse).toList());
  }

  /** What {@code address} says about a request sent from 127.0.0.1 with {@code headers}. */
  private static String seen(ClientAddress address, String... headers) throws Exception {
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(request -> request.response().end(address.of(request)))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    try {
      return RawHttp.get(server.actualPort(), "/", headers).body();
    } finally {
      server.close();
    }
  }
}
