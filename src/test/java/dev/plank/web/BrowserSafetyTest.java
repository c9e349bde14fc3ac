package dev.plank.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.RawHttp;
import dev.plank.support.RawHttp.Response;
import dev.plank.support.TestPlank;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a web page the user happens to visit can do with a Plank node: open WebSockets and call the
 * REST API only from allowed origins, reach it only under a Host it answers for (DNS rebinding),
 * and every response carries the headers that keep browsers strict.
 */
class BrowserSafetyTest {
  static TestPlank local; // defaults: bound to 127.0.0.1
  static TestPlank listed; // bound to every address, with origin and host lists

  @BeforeAll
  static void start() {
    local = TestPlank.start(BrowserSafetyTest.class);
    listed =
        TestPlank.start(
            BrowserSafetyTest.class,
            Map.of(
                "PLANK_HOST", "0.0.0.0",
                "PLANK_AUTH", "none", // for when auth is required off loopback
                "PLANK_ALLOWED_ORIGINS", "https://app.example.com, HTTP://Tools.Example.com:8080",
                "PLANK_ALLOWED_HOSTS", "plank.example.com,127.0.0.1"));
  }

  @AfterAll
  static void stop() {
    if (local != null) local.close();
    if (listed != null) listed.close();
  }

  @Test
  void aWebSocketUpgradeFromAForeignPageIsRefusedWith403() throws Exception {
    int port = local.port();
    Response evil = RawHttp.upgrade(port, "/ws", "Origin", "https://evil.example");
    assertThat(evil.status()).isEqualTo(403);
    assertThat(evil.header("content-type")).startsWith("application/problem+json");
    assertThat(evil.body()).doesNotContain("evil");
    assertThat(RawHttp.upgrade(port, "/ws", "Origin", "null").status()).isEqualTo(403);
    // Same host, another port: another origin.
    assertThat(RawHttp.upgrade(port, "/ws", "Origin", "http://127.0.0.1:1").status())
        .isEqualTo(403);

    // The server's own pages, the dev server's, and clients that are not browsers (no Origin).
    assertThat(RawHttp.upgrade(port, "/ws", "Origin", "http://127.0.0.1:" + port).status())
        .isEqualTo(101);
    assertThat(
            RawHttp.upgrade(
                    port, "/ws", "Host", "localhost:" + port, "Origin", "http://localhost:" + port)
                .status())
        .isEqualTo(101);
    assertThat(RawHttp.upgrade(port, "/ws", "Origin", "http://localhost:5173").status())
        .isEqualTo(101);
    assertThat(RawHttp.upgrade(port, "/ws", "Origin", "http://127.0.0.1:5173").status())
        .isEqualTo(101);
    assertThat(RawHttp.upgrade(port, "/ws").status()).isEqualTo(101);
  }

  @Test
  void aSetOriginListReplacesTheDevServerDefaults() throws Exception {
    int port = listed.port();
    String host = "plank.example.com:" + port;
    assertThat(upgrade(port, host, "https://app.example.com").status()).isEqualTo(101);
    assertThat(upgrade(port, host, "https://app.example.com:443").status()).isEqualTo(101);
    assertThat(upgrade(port, host, "http://tools.example.com:8080").status()).isEqualTo(101);
    assertThat(upgrade(port, host, "http://" + host).status()).isEqualTo(101); // its own
    // Its own behind a proxy that terminates TLS: https, the default port, Host passed through.
    assertThat(upgrade(port, "plank.example.com", "https://plank.example.com").status())
        .isEqualTo(101);
    assertThat(upgrade(port, host, "http://app.example.com").status()).isEqualTo(403);
    assertThat(upgrade(port, host, "http://localhost:5173").status()).isEqualTo(403);
  }

  @Test
  void corsAnswersPreflightsForAllowedOriginsOnly() throws Exception {
    int port = local.port();
    Response preflight =
        RawHttp.send(
            port,
            "OPTIONS",
            "/api/items/1",
            RawHttp.map(
                "Origin", "http://localhost:5173",
                "Access-Control-Request-Method", "DELETE",
                "Access-Control-Request-Headers", "authorization, content-type"));
    assertThat(preflight.status()).isEqualTo(204);
    assertThat(preflight.header("access-control-allow-origin")).isEqualTo("http://localhost:5173");
    assertThat(preflight.all("vary")).contains("Origin");
    assertThat(preflight.header("access-control-allow-methods")).contains("DELETE", "PATCH");
    assertThat(preflight.header("access-control-allow-headers"))
        .contains("Authorization", "Content-Type");

    Response foreign =
        RawHttp.send(
            port,
            "OPTIONS",
            "/api/items",
            RawHttp.map("Origin", "https://evil.example", "Access-Control-Request-Method", "POST"));
    assertThat(foreign.status()).isEqualTo(403);
    assertThat(foreign.header("access-control-allow-origin")).isNull();

    Response list = RawHttp.get(port, "/api/items", "Origin", "http://127.0.0.1:5173");
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.header("access-control-allow-origin")).isEqualTo("http://127.0.0.1:5173");
    assertThat(list.all("vary")).contains("Origin");
    Response same = RawHttp.get(port, "/api/items", "Origin", "http://127.0.0.1:" + port);
    assertThat(same.status()).isEqualTo(200);
    Response stolen = RawHttp.get(port, "/api/items", "Origin", "https://evil.example");
    assertThat(stolen.status()).isEqualTo(403);
    assertThat(stolen.header("access-control-allow-origin")).isNull();
    Response noOrigin = RawHttp.get(port, "/api/items");
    assertThat(noOrigin.status()).isEqualTo(200);
    assertThat(noOrigin.header("access-control-allow-origin")).isNull();
  }

  @Test
  void boundToLoopbackOnlyLoopbackNamesAreAcceptedAsHost() throws Exception {
    int port = local.port();
    // DNS rebinding: evil.example now resolves to 127.0.0.1, and the browser says so in Host.
    Response rebound = RawHttp.get(port, "/api/items", "Host", "evil.example:" + port);
    assertThat(rebound.status()).isEqualTo(421);
    assertThat(rebound.header("content-type")).startsWith("application/problem+json");
    Response ws =
        upgrade(port, "evil.example:" + port, "http://evil.example:" + port); // "same origin"
    assertThat(ws.status()).isEqualTo(421);
    for (String host : List.of("localhost", "LOCALHOST:" + port, "127.0.0.1:" + port, "[::1]:1")) {
      assertThat(RawHttp.get(port, "/health", "Host", host).status()).as(host).isEqualTo(200);
    }
  }

  @Test
  void aHostListIsEnforcedWhereverTheNodeIsBound() throws Exception {
    int port = listed.port();
    assertThat(RawHttp.get(port, "/health", "Host", "plank.example.com").status()).isEqualTo(200);
    assertThat(RawHttp.get(port, "/health", "Host", "127.0.0.1:" + port).status()).isEqualTo(200);
    assertThat(RawHttp.get(port, "/health", "Host", "evil.example").status()).isEqualTo(421);
    assertThat(RawHttp.get(port, "/health", "Host", "localhost").status()).isEqualTo(421);
  }

  @Test
  void everyResponseCarriesTheSecurityHeaders() throws Exception {
    for (String path :
        List.of("/", "/docs", "/docs/init.js", "/openapi.json", "/api/items", "/health", "/nope")) {
      Response r = RawHttp.get(local.port(), path);
      assertThat(r.header("content-security-policy"))
          .as(path)
          .contains("default-src 'self'", "frame-ancestors 'none'", "script-src 'self'");
      assertThat(r.header("x-content-type-options")).as(path).isEqualTo("nosniff");
      assertThat(r.header("x-frame-options")).as(path).isEqualTo("DENY");
      assertThat(r.header("referrer-policy")).as(path).isEqualTo("no-referrer");
      // Plain HTTP: HSTS would be ignored at best, and must come only from an HTTPS answer.
      assertThat(r.header("strict-transport-security")).as(path).isNull();
    }
    // Problems too, including those the guards send.
    Response refused = RawHttp.get(local.port(), "/health", "Host", "evil.example");
    assertThat(refused.header("content-security-policy")).contains("frame-ancestors 'none'");
  }

  private static Response upgrade(int port, String host, String origin) throws Exception {
    return RawHttp.upgrade(port, "/ws", "Host", host, "Origin", origin);
  }
}
