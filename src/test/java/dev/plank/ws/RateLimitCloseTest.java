package dev.plank.ws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.RawWsClient;
import dev.plank.support.TestPlank;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A flooder cut off for its rate is dropped at once: the server writes its 1008 Close frame and
 * closes the socket without waiting for the client's Close frame, because waiting would mean
 * reading (and decoding) the flood's backlog on an event loop that other clients share.
 */
class RateLimitCloseTest {
  static TestPlank plank;

  @BeforeAll
  static void start() {
    plank =
        TestPlank.start(
            RateLimitCloseTest.class,
            Map.of(
                "PLANK_MESSAGE_RATE", "1",
                "PLANK_MESSAGE_BURST", "5",
                "PLANK_RATE_LIMIT_STRIKES", "3",
                "PLANK_RATE_LIMIT_COOLDOWN", "1s"));
  }

  @AfterAll
  static void stop() {
    plank.close();
  }

  @Test
  void aCondemnedFlooderIsDisconnectedRightAfterItsCloseFrame() throws Exception {
    byte[] ping = "{\"action\":\"ping\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (RawWsClient flooder = RawWsClient.connect(plank.port(), 1 << 16)) {
      AtomicLong sent = new AtomicLong();
      Thread flood =
          new Thread(
              () -> {
                try {
                  while (!Thread.currentThread().isInterrupted()) {
                    flooder.sendFrame(0x1, ping, true);
                    sent.incrementAndGet();
                  }
                } catch (IOException e) {
                  // reset by the server: what the test expects
                }
              },
              "flooder");
      flood.start();
      try {
        RawWsClient.Outcome outcome = flooder.readUntilClose(Duration.ofSeconds(20));
        assertThat(outcome.closeCode()).isEqualTo(1008);
        assertThat(outcome.closeReason()).isEqualTo("rate limited");
        // The connection is gone by the time the client reads the Close frame, although the
        // client never answered it and is still flooding.
        assertThat(flooder.serverClosed(Duration.ofMillis(60)))
            .as("closed without waiting for the client's Close frame")
            .isTrue();
        flood.join(10_000);
        assertThat(flood.isAlive())
            .as("the flood's writes fail once the socket is reset")
            .isFalse();
        assertThat(sent.get()).isGreaterThan(8);
      } finally {
        flood.interrupt();
      }
    }
    assertThat(plank.metric("plank_limit_hits_total{limit=\"rate_limit_close\"}"))
        .isGreaterThanOrEqualTo(1);
  }
}
