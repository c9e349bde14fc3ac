package dev.plank.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.support.TestPlank;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS and WSS from PEM files, with a self-signed certificate made by openssl for the test. */
class TlsTest {
  @TempDir static Path dir;
  static TestPlank plank;
  static HttpClient https;

  @BeforeAll
  static void start() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process openssl =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString())
            .redirectErrorStream(true)
            .start();
    String output =
        new String(
            openssl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(openssl.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(openssl.exitValue()).as(output).isZero();

    plank =
        TestPlank.start(
            TlsTest.class,
            Map.of("PLANK_TLS_CERT", cert.toString(), "PLANK_TLS_KEY", key.toString()));
    https = HttpClient.newBuilder().sslContext(trusting(cert)).build();
  }

  @AfterAll
  static void stop() {
    if (plank != null) plank.close();
  }

  @Test
  void servesHttpsWithHsts() throws Exception {
    HttpResponse<String> health =
        https.send(
            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + plank.port() + "/health"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.headers().firstValue("Strict-Transport-Security"))
        .hasValue(SecurityHeaders.HSTS);
    assertThat(health.headers().firstValue("Content-Security-Policy")).isPresent();
  }

  @Test
  void deliversChangesOverWss() throws Exception {
    LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
    WebSocket ws =
        https
            .newWebSocketBuilder()
            .buildAsync(
                URI.create("wss://127.0.0.1:" + plank.port() + "/ws"),
                new WebSocket.Listener() {
                  private final StringBuilder text = new StringBuilder();

                  @Override
                  public CompletionStage<?> onText(
                      WebSocket socket, CharSequence data, boolean last) {
                    text.append(data);
                    if (last) {
                      messages.add(text.toString());
                      text.setLength(0);
                    }
                    socket.request(1);
                    return CompletableFuture.completedFuture(null);
                  }
                })
            .get(10, TimeUnit.SECONDS);
    try {
      ws.sendText("{\"action\":\"subscribe\",\"channel\":\"items\",\"id\":\"t\"}", true)
          .get(10, TimeUnit.SECONDS);
      ObjectMapper json = new ObjectMapper();
      JsonNode subscribed = json.readTree(messages.poll(10, TimeUnit.SECONDS));
      assertThat(subscribed.get("type").asText()).isEqualTo("subscribed");
      plank.db().execute("INSERT INTO items(name) VALUES ('over tls')");
      JsonNode change = json.readTree(messages.poll(10, TimeUnit.SECONDS));
      assertThat(change.get("type").asText()).isEqualTo("INSERT");
      assertThat(change.get("data").get("name").asText()).isEqualTo("over tls");
    } finally {
      ws.abort();
    }
  }

  private static SSLContext trusting(Path cert) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(cert)) {
      store.setCertificateEntry(
          "plank", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }
}
