package dev.plank.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One hostile client of the abuse scenario: a few WebSocket connections that keep attacking for as
 * long as the attack runs. When the server refuses or closes a connection, it reconnects and goes
 * on, as a real attacker would. It runs on a Vert.x instance of its own (its own event-loop
 * threads), so that its pumping does not sit in front of the canary's handlers on one event loop;
 * closing that instance ends every connection at once.
 */
final class Attack implements Attacker {
  /** The attacks, by their command-line names. */
  enum Kind {
    /** Pings as fast as the socket takes them, reading the answers. */
    PING_FLOOD("ping-flood"),
    /** subscribe + unsubscribe pairs on the canary's channel as fast as the socket takes them. */
    SUBSCRIBE_STORM("subscribe-storm"),
    /** A snapshot of a large table, then never a byte read; reconnects every hold period. */
    SNAPSHOT_HOLD("snapshot-hold");

    final String label;

    Kind(String label) {
      this.label = label;
    }

    static Kind of(String label) {
      for (Kind k : values()) if (k.label.equals(label)) return k;
      throw new BenchException(
          "unknown attack '" + label + "' (ping-flood, subscribe-storm, snapshot-hold)");
    }
  }

  /** What an attack did, from the attacker's side. */
  record Stats(
      long connects,
      long connectFailures,
      long sent,
      long received,
      long rateLimited,
      long otherErrors,
      long closes,
      String firstClose,
      String firstConnectFailure) {
    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("connects", connects);
      m.put("connect_failures", connectFailures);
      m.put("messages_sent", sent);
      m.put("messages_received", received);
      m.put("rate_limited_errors", rateLimited);
      m.put("other_errors", otherErrors);
      m.put("closes_by_server", closes);
      m.put("first_close", firstClose);
      m.put("first_connect_failure", firstConnectFailure);
      return m;
    }
  }

  /**
   * The client pool warns "Connection evicted" for every connection the server drops during its
   * handshake, which a refused attacker does all the time; the counters say it instead. Held here
   * so that the setting is not collected with the logger.
   */
  private static final Logger POOL_LOG =
      Logger.getLogger("io.vertx.core.http.impl.HttpClientConnectionInternal");

  static {
    POOL_LOG.setLevel(Level.SEVERE);
  }

  /** Messages written per turn of the event loop before yielding to other connections. */
  private static final int BURST = 256;

  private static final long RETRY_MS = 100;

  private final Kind kind;
  private final URI url;
  private final String channel;
  private final double holdSeconds;
  private final int connections;
  private final Vertx vertx;
  private final WebSocketClient client;
  private volatile boolean running = true;

  private final LongAdder connects = new LongAdder();
  private final LongAdder connectFailures = new LongAdder();
  private final LongAdder sent = new LongAdder();
  private final LongAdder received = new LongAdder();
  private final LongAdder rateLimited = new LongAdder();
  private final LongAdder otherErrors = new LongAdder();
  private final LongAdder closes = new LongAdder();
  private final AtomicReference<String> firstClose = new AtomicReference<>();
  private final AtomicReference<String> firstConnectFailure = new AtomicReference<>();

  /**
   * @param channel what the attack subscribes to: the canary's channel for the storm, the large
   *     table for the snapshot hold (unused by the ping flood)
   * @param sourceAddress local address to connect from ("" for the default), so that per-address
   *     limits see the attacker as another client than the canary
   */
  Attack(
      Kind kind,
      URI url,
      String channel,
      int connections,
      int threads,
      String sourceAddress,
      double holdSeconds) {
    this.kind = kind;
    this.url = url;
    this.channel = channel;
    this.holdSeconds = holdSeconds;
    this.vertx =
        Vertx.vertx(
            new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(threads));
    WebSocketClientOptions options =
        new WebSocketClientOptions()
            .setMaxConnections(Math.max(connections * 4, 64))
            .setConnectTimeout(10_000)
            .setMaxFrameSize(1 << 20)
            .setMaxMessageSize(1 << 24)
            // A held connection never reads the server's close frame: drop TCP soon after ours.
            .setClosingTimeout(1);
    if (!sourceAddress.isEmpty()) options.setLocalAddress(sourceAddress);
    this.client = vertx.createWebSocketClient(options);
    this.connections = connections;
  }

  @Override
  public void start() {
    for (int i = 0; i < connections; i++) {
      Context context = vertx.getOrCreateContext(); // round robin over the event loops
      context.runOnContext(v -> connect(context));
    }
  }

  Kind kind() {
    return kind;
  }

  @Override
  public Stats stats() {
    return new Stats(
        connects.sum(),
        connectFailures.sum(),
        sent.sum(),
        received.sum(),
        rateLimited.sum(),
        otherErrors.sum(),
        closes.sum(),
        firstClose.get(),
        firstConnectFailure.get());
  }

  /** Runs on {@code context}: one attacking connection, replaced whenever it ends. */
  private void connect(Context context) {
    if (!running) return;
    WebSocketConnectOptions options =
        new WebSocketConnectOptions()
            .setHost(url.getHost())
            .setPort(Bench.port(url))
            .setSsl("https".equals(url.getScheme()))
            .setURI("/ws");
    client
        .connect(options)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                connectFailures.increment();
                firstConnectFailure.compareAndSet(null, String.valueOf(ar.cause()));
                if (running) vertx.setTimer(RETRY_MS, id -> connect(context));
                return;
              }
              connects.increment();
              attack(context, ar.result());
            });
  }

  private void attack(Context context, WebSocket ws) {
    boolean[] ownClose = {false}; // this connection's state, owned by its event loop
    ws.exceptionHandler(e -> {}); // a reset shows up as the close below
    ws.closeHandler(
        v -> {
          if (ownClose[0] || !running) return; // ours, or the attack is over
          closes.increment();
          firstClose.compareAndSet(null, ws.closeStatusCode() + " " + ws.closeReason());
          connect(context);
        });
    switch (kind) {
      case PING_FLOOD -> {
        ws.textMessageHandler(this::answer);
        pump(ws, new String[] {"{\"action\":\"ping\"}"});
      }
      case SUBSCRIBE_STORM -> {
        ws.textMessageHandler(this::answer);
        pump(
            ws,
            new String[] {
              "{\"action\":\"subscribe\",\"id\":\"x\",\"channel\":\"" + channel + "\"}",
              "{\"action\":\"unsubscribe\",\"id\":\"x\",\"channel\":\"" + channel + "\"}"
            });
      }
      case SNAPSHOT_HOLD -> {
        // Never read: the server's writes fill both socket buffers and its snapshot stalls while
        // holding its read slot. Let go after the hold and come back with a new connection.
        ws.pause();
        ws.writeTextMessage(
            "{\"action\":\"subscribe\",\"id\":\"h\",\"channel\":\""
                + channel
                + "\",\"snapshot\":true}");
        sent.increment();
        vertx.setTimer(
            (long) (holdSeconds * 1000),
            id -> {
              ownClose[0] = true;
              ws.close();
              connect(context);
            });
      }
    }
  }

  private void answer(String text) {
    received.increment();
    if (text.contains("\"rate_limited\"")) {
      rateLimited.increment();
    } else if (text.startsWith("{\"type\":\"error\"")) {
      otherErrors.increment();
    }
  }

  /**
   * Writes {@code messages} round robin as fast as the socket takes them: a burst, then again on
   * the next turn of the event loop, or once the socket drains when its write queue is full.
   */
  private void pump(WebSocket ws, String[] messages) {
    if (!running || ws.isClosed()) return;
    int n = 0;
    while (n < BURST && !ws.writeQueueFull()) {
      ws.writeTextMessage(messages[n % messages.length]);
      n++;
    }
    sent.add(n);
    if (ws.writeQueueFull()) {
      ws.drainHandler(v -> pump(ws, messages));
    } else {
      vertx.runOnContext(v -> pump(ws, messages));
    }
  }

  /** Ends the attack: every connection is dropped with the attacker's Vert.x instance. */
  @Override
  public void close() {
    running = false;
    try {
      vertx.close().await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      // exiting the attack anyway
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s on %s", kind.label, url);
  }
}
