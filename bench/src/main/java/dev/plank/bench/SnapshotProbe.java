package dev.plank.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The canary's snapshots: one connection that, every interval, subscribes to a small table with
 * {@code snapshot: true}, times the request until the page with {@code "last":true}, and
 * unsubscribes. One probe at a time; the next starts an interval after the previous ended, so a
 * snapshot stuck behind held slots shows as one long probe. All state is owned by the probe's
 * context, except the finished probes, which the main thread reads.
 */
final class SnapshotProbe implements AutoCloseable {
  /** One finished probe: when it started and how long it took (ns). */
  record Probe(long startNanos, long nanos) {}

  /** The probes that started in one phase. */
  record Summary(int started, int completed, int refused, Histogram nanos, double unfinishedMs) {
    double p50Ms() {
      return LatencyRecorder.ms(nanos, 50);
    }

    /** The slowest probe; an unfinished one counts with the time it had waited so far. */
    double maxMs() {
      double max = LatencyRecorder.maxMs(nanos);
      if (Double.isNaN(max)) return unfinishedMs;
      return Double.isNaN(unfinishedMs) ? max : Math.max(max, unfinishedMs);
    }

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("started", started);
      m.put("completed", completed);
      m.put("refused", refused);
      m.put("unfinished_waited_ms", Fmt.json(unfinishedMs));
      m.put("duration", LatencyRecorder.summary(nanos));
      return m;
    }
  }

  private final Vertx vertx;
  private final URI url;
  private final String channel;
  private final String filter;
  private final long intervalMs;
  private final WebSocketClient client;
  private final Context context;
  private final ConcurrentLinkedQueue<Probe> done = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Probe> refused = new ConcurrentLinkedQueue<>();
  private volatile String lastRefusal;
  private volatile long inFlightSince; // 0 when none
  private volatile String failure;
  private volatile boolean running = true;

  // Probe context.
  private WebSocket ws;
  private int number;
  private String idMark = "";

  SnapshotProbe(Vertx vertx, URI url, String channel, String filter, double intervalSeconds) {
    this.vertx = vertx;
    this.url = url;
    this.channel = channel;
    this.filter = filter;
    this.intervalMs = Math.max(1, (long) (intervalSeconds * 1000));
    this.client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setConnectTimeout(10_000)
                .setMaxFrameSize(1 << 22)
                .setMaxMessageSize(1 << 24));
    this.context = vertx.getOrCreateContext();
  }

  /** Connects and starts probing; fails when the connection cannot be opened. */
  Future<Void> start() {
    return Future.<Void>future(
        p ->
            context.runOnContext(
                v ->
                    client
                        .connect(
                            new WebSocketConnectOptions()
                                .setHost(url.getHost())
                                .setPort(Bench.port(url))
                                .setSsl("https".equals(url.getScheme()))
                                .setURI("/ws"))
                        .onSuccess(
                            socket -> {
                              ws = socket;
                              socket.textMessageHandler(this::onMessage);
                              socket.closeHandler(
                                  x -> {
                                    if (running) {
                                      failure =
                                          "the probe's connection was closed: "
                                              + socket.closeStatusCode()
                                              + " "
                                              + socket.closeReason();
                                    }
                                  });
                              next();
                            })
                        .<Void>mapEmpty()
                        .onComplete(p)));
  }

  private void next() {
    if (!running || ws.isClosed()) return;
    number++;
    idMark = "\"id\":\"p" + number + "\"";
    inFlightSince = System.nanoTime();
    ws.writeTextMessage(
        "{\"action\":\"subscribe\",\"id\":\"p"
            + number
            + "\",\"channel\":\""
            + channel
            + "\",\"snapshot\":true"
            + (filter.isEmpty() ? "" : ",\"filter\":\"" + filter + "\"")
            + "}");
  }

  private void onMessage(String text) {
    long now = System.nanoTime();
    if (text.startsWith("{\"type\":\"error\"") && text.contains(idMark)) {
      // Refused (busy, rate_limited, query_timeout, …): counted, and the next probe follows.
      refused.add(new Probe(inFlightSince, now - inFlightSince));
      lastRefusal = text;
      inFlightSince = 0;
      vertx.setTimer(intervalMs, id -> next());
      return;
    }
    if (!text.startsWith("{\"type\":\"snapshot\"")
        || !text.contains(idMark)
        || !text.contains("\"last\":true")) {
      return;
    }
    long since = inFlightSince;
    inFlightSince = 0;
    done.add(new Probe(since, now - since));
    ws.writeTextMessage("{\"action\":\"unsubscribe\",\"channel\":\"" + channel + "\"}");
    vertx.setTimer(intervalMs, id -> next());
  }

  /** Why probing stopped, or null. */
  String failure() {
    return failure;
  }

  /** The error reply of the latest refused probe, or null. */
  String lastRefusal() {
    return lastRefusal;
  }

  /** The latest finished probe's time (ms), for progress lines; NaN when none. */
  double lastMs() {
    Probe last = null;
    for (Probe p : done) last = p;
    return last == null ? Double.NaN : last.nanos() / 1e6;
  }

  /** Since when the current probe waits (ms), or NaN when none is waiting. */
  double waitingMs(long now) {
    long since = inFlightSince;
    return since == 0 ? Double.NaN : (now - since) / 1e6;
  }

  /** The probes that started within the phase's window. */
  Summary summary(AbusePhase phase, long now) {
    Histogram h = new Histogram(TimeUnit.MINUTES.toNanos(10), 3);
    List<Probe> in = new ArrayList<>();
    for (Probe p : done) if (phase.contains(p.startNanos())) in.add(p);
    for (Probe p : in) h.recordValue(Math.min(p.nanos(), h.getHighestTrackableValue()));
    int refusedIn = 0;
    for (Probe p : refused) if (phase.contains(p.startNanos())) refusedIn++;
    long since = inFlightSince;
    boolean unfinished = since != 0 && phase.contains(since);
    return new Summary(
        in.size() + refusedIn + (unfinished ? 1 : 0),
        in.size(),
        refusedIn,
        h,
        unfinished ? (now - since) / 1e6 : Double.NaN);
  }

  @Override
  public void close() {
    running = false;
    try {
      client.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // best effort
    }
  }
}
