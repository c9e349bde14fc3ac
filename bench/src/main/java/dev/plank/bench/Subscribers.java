package dev.plank.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * N WebSocket connections to Plank's {@code /ws} (or, with a Supabase {@link Wire}, to {@code
 * /realtime/v1/websocket}), each subscribed to one table's channel. Messages after {@code
 * subscribed} (Supabase: after the join's {@code system} ok) go to a listener with the receipt
 * time, taken first thing in the handler. Each connection's handler runs on its own event loop, so
 * per-client state indexed by the client number needs no locking.
 */
final class Subscribers implements AutoCloseable {
  /** Receives every message after {@code subscribed}, on the connection's event loop. */
  interface Listener {
    void onMessage(int client, String text, long receivedNanos);
  }

  /** How opening went: connections subscribed, failed, and the time it took. */
  record Opened(int subscribed, int failed, double seconds, String firstError) {
    double perSecond() {
      return seconds <= 0 ? 0 : subscribed / seconds;
    }
  }

  private final Vertx vertx;
  private final List<URI> urls;
  private final Table table;
  private final Wire wire;
  private final Listener listener;
  private final long heartbeatTimer; // -1 without heartbeats
  private final List<WebSocketClient> clients = new ArrayList<>();
  private final List<WebSocket> sockets = new ArrayList<>();
  private final AtomicInteger subscribed = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger closedAfterSubscribe = new AtomicInteger();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private final AtomicReference<String> firstClose = new AtomicReference<>();

  /**
   * @param sourceAddresses local addresses to spread connections over (one client each), e.g.
   *     127.0.0.1..127.0.0.3 to get past one address's ~28k ephemeral ports; empty for the default
   */
  Subscribers(
      Vertx vertx,
      URI url,
      Table table,
      int count,
      List<String> sourceAddresses,
      Listener listener) {
    this(vertx, List.of(url), table, count, sourceAddresses, listener);
  }

  /**
   * Connections spread over several nodes' URLs round-robin (client i to {@code urls[i % n]}), as a
   * load balancer would.
   */
  Subscribers(
      Vertx vertx,
      List<URI> urls,
      Table table,
      int count,
      List<String> sourceAddresses,
      Listener listener) {
    this(vertx, urls, table, Wire.PLANK, count, sourceAddresses, listener);
  }

  /** Connections speaking {@code wire}. */
  Subscribers(
      Vertx vertx,
      List<URI> urls,
      Table table,
      Wire wire,
      int count,
      List<String> sourceAddresses,
      Listener listener) {
    this.vertx = vertx;
    this.urls = List.copyOf(urls);
    this.table = table;
    this.wire = wire;
    this.listener = listener;
    // One timer for every connection, as each realtime-js client would send its own every 25 s.
    this.heartbeatTimer =
        wire.heartbeats() ? vertx.setPeriodic(Wire.HEARTBEAT_MS, t -> beat()) : -1;
    List<String> sources = sourceAddresses.isEmpty() ? List.of("") : sourceAddresses;
    int perClient = count / sources.size() + 1;
    for (String source : sources) {
      // The client's pool caps connections per host (50 by default): allow all of them.
      WebSocketClientOptions options =
          new WebSocketClientOptions()
              .setMaxConnections(perClient)
              .setConnectTimeout(30_000)
              .setMaxFrameSize(1 << 20)
              .setMaxMessageSize(1 << 20);
      if (!source.isEmpty()) options.setLocalAddress(source);
      clients.add(vertx.createWebSocketClient(options));
    }
  }

  /**
   * Opens and subscribes {@code count} connections, at most {@code concurrency} handshakes at a
   * time; blocks the calling (non-event-loop) thread, printing progress about once a second.
   */
  Opened open(int count, int concurrency, Progress progress) throws InterruptedException {
    Semaphore permits = new Semaphore(concurrency);
    long start = System.nanoTime();
    long nextReport = start + 1_000_000_000L;
    for (int i = 0; i < count; i++) {
      while (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        nextReport = report(progress, count, start, nextReport);
      }
      nextReport = report(progress, count, start, nextReport);
      int client = i;
      connect(client)
          .onComplete(
              ar -> {
                if (ar.succeeded()) {
                  subscribed.incrementAndGet();
                  synchronized (sockets) {
                    sockets.add(ar.result());
                  }
                } else {
                  failed.incrementAndGet();
                  firstError.compareAndSet(null, String.valueOf(ar.cause()));
                }
                permits.release();
              });
    }
    while (!permits.tryAcquire(concurrency, 100, TimeUnit.MILLISECONDS)) {
      nextReport = report(progress, count, start, nextReport);
    }
    permits.release(concurrency);
    double seconds = (System.nanoTime() - start) / 1e9;
    progress.line(
        "connected %d/%d in %.1f s (%.0f/s)%s",
        subscribed.get(),
        count,
        seconds,
        subscribed.get() / seconds,
        failed.get() > 0 ? ", " + failed.get() + " failed, first: " + firstError.get() : "");
    return new Opened(subscribed.get(), failed.get(), seconds, firstError.get());
  }

  private long report(Progress progress, int count, long start, long nextReport) {
    long now = System.nanoTime();
    if (now < nextReport) return nextReport;
    double seconds = (now - start) / 1e9;
    progress.line(
        "connecting: %d/%d subscribed (%.0f/s), %d failed",
        subscribed.get(), count, subscribed.get() / seconds, failed.get());
    return now + 1_000_000_000L;
  }

  private Future<WebSocket> connect(int client) {
    URI url = urls.get(client % urls.size());
    WebSocketConnectOptions options =
        new WebSocketConnectOptions()
            .setHost(url.getHost())
            .setPort(Bench.port(url))
            .setSsl("https".equals(url.getScheme()))
            .setURI(wire.path());
    return clients
        .get(client % clients.size())
        .connect(options)
        .compose(ws -> subscribe(client, ws));
  }

  private Future<WebSocket> subscribe(int client, WebSocket ws) {
    Promise<WebSocket> ready = Promise.promise();
    boolean[] live = {false};
    ws.textMessageHandler(
        text -> {
          long now = System.nanoTime();
          if (live[0]) {
            listener.onMessage(client, text, now);
            return;
          }
          switch (wire.answer(text)) {
            case LIVE -> {
              live[0] = true;
              ready.tryComplete(ws);
            }
            case REFUSED -> {
              ready.tryFail(new BenchException("subscribe answered " + text));
              ws.close();
            }
            case WAIT -> {}
          }
        });
    ws.closeHandler(
        v -> {
          if (live[0]) {
            closedAfterSubscribe.incrementAndGet();
            firstClose.compareAndSet(null, ws.closeStatusCode() + " " + ws.closeReason());
          }
          ready.tryFail(new BenchException("closed before subscribed: " + ws.closeStatusCode()));
        });
    ws.exceptionHandler(ready::tryFail);
    ws.writeTextMessage(wire.subscribe(table));
    return ready.future();
  }

  private long heartbeatRef;

  /** Phoenix heartbeats for every open connection; on the timer's event loop. */
  private void beat() {
    List<WebSocket> open;
    synchronized (sockets) {
      open = new ArrayList<>(sockets);
    }
    for (WebSocket ws : open) {
      if (!ws.isClosed()) ws.writeTextMessage(wire.heartbeat(++heartbeatRef));
    }
  }

  int subscribed() {
    return subscribed.get();
  }

  /** Connections the server (or the network) closed after they had subscribed. */
  int closedAfterSubscribe() {
    return closedAfterSubscribe.get();
  }

  /** Close code and reason of the first connection closed after subscribing, or null. */
  String firstClose() {
    return firstClose.get();
  }

  @Override
  public void close() {
    if (heartbeatTimer != -1) vertx.cancelTimer(heartbeatTimer);
    List<Future<Void>> closing = new ArrayList<>();
    for (WebSocketClient client : clients) closing.add(client.close());
    try {
      Future.join(closing).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // best effort: the process exits soon anyway
    }
  }
}
