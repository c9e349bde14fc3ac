package dev.plank.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.support.TestPlank;
import dev.plank.support.WsClient;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Protocol words do not depend on the server's default locale: under Turkish rules "i" upper-cases
 * to "İ" and "I" lower-cases to "ı", which once sent {@code bad_fılter} and refused {@code insert}.
 */
class TurkishLocaleTest {
  private static Locale saved;
  private static TestPlank plank;

  @BeforeAll
  static void start() {
    saved = Locale.getDefault();
    Locale.setDefault(Locale.forLanguageTag("tr-TR"));
    plank = TestPlank.start(TurkishLocaleTest.class);
  }

  @AfterAll
  static void stop() {
    plank.close();
    Locale.setDefault(saved);
  }

  @Test
  void errorCodesEventNamesAndSettingsAreTheSameUnderATurkishLocale() {
    try (WsClient ws = WsClient.connect(plank.wsUrl())) {
      ws.send("{\"action\":\"subscribe\",\"channel\":\"items\",\"filter\":\"name=like.a*\"}");
      JsonNode error = ws.next();
      assertThat(error.path("code").asText()).isEqualTo("bad_filter");

      ws.subscribe("items", "\"events\":[\"insert\"]");
      plank.db().execute("INSERT INTO items(name) VALUES ('i')");
      assertThat(ws.next().path("type").asText()).isEqualTo("INSERT");
    }
  }
}
