package dev.plank.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.support.Jwts;
import dev.plank.support.RawHttp;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RS256 with a PEM public key; and the classic confusion attack against it. */
class PublicKeyTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final KeyPair KEYS = Jwts.rsa();
  static Path pem;
  static TestPlank plank;

  @BeforeAll
  static void start() throws Exception {
    pem = Files.createTempFile("plank-public", ".pem");
    Files.writeString(pem, Jwts.pem(KEYS));
    plank = TestPlank.start(PublicKeyTest.class, Map.of("PLANK_JWT_PUBLIC_KEY", pem.toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    plank.close();
    Files.deleteIfExists(pem);
  }

  @Test
  void anRs256TokenSignedWithThePrivateKeyIsAccepted() {
    String token = Jwts.rs256(KEYS.getPrivate(), null, Jwts.claims("42", "authenticated", 60));
    try (WsClient ws =
        WsClient.connect(plank.wsUrl(), Map.of("Authorization", "Bearer " + token))) {
      ws.subscribe("items");
    }
  }

  @Test
  void anHs256TokenSignedWithThePublicKeyAsSecretIsRefused() throws Exception {
    // The attacker knows the public key: an HMAC over it verifies if the server lets the token's
    // header pick the algorithm and feeds the PEM bytes to HMAC.
    String forged = Jwts.hs256(Files.readString(pem), Jwts.claims("42", "service", 60));
    RawHttp.Response response =
        RawHttp.upgrade(plank.port(), "/ws", Map.of("Authorization", "Bearer " + forged));
    assertThat(response.status()).isEqualTo(401);
    assertThat(JSON.readTree(response.body()).path("detail").asText())
        .isEqualTo("invalid token: algorithm HS256 is not accepted here (expected RS256)");
  }

  @Test
  void anUnsignedTokenIsRefused() throws Exception {
    String unsigned = Jwts.unsigned(Jwts.claims("42", "service", 60));
    RawHttp.Response response = RawHttp.upgrade(plank.port(), "/ws?token=" + unsigned, Map.of());
    assertThat(response.status()).isEqualTo(401);
  }

  @Test
  void anRs256TokenFromAnotherKeyIsRefused() throws Exception {
    String token = Jwts.rs256(Jwts.rsa().getPrivate(), null, Jwts.claims("42", "service", 60));
    RawHttp.Response response = RawHttp.upgrade(plank.port(), "/ws?token=" + token, Map.of());
    assertThat(response.status()).isEqualTo(401);
    assertThat(JSON.readTree(response.body()).path("detail").asText())
        .isEqualTo("invalid token: invalid signature");
  }
}
