package dev.plank.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Plank's counters and gauges, exported in Prometheus text format at {@code /metrics}. */
public final class PlankMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger subscriptions = new AtomicInteger();
  private final AtomicInteger parked = new AtomicInteger();
  private final Counter changesReceived;
  private final Counter messagesSent;
  private final Counter listenerReconnects;
  private final Counter slowConsumers;
  private final Counter changesWithheld;
  private final Counter changesPruned;
  private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
  private final Map<String, Counter> limitHits = new ConcurrentHashMap<>();
  // Written by the lag timer, read by scrapes; NaN until the first measurement.
  private volatile double lagChanges = Double.NaN;
  private volatile long slotRetainedBytes = -1;
  private volatile int walLeader;
  private volatile double lagSeconds = Double.NaN;

  /** Metrics with no node label, for tests of a part. */
  public PlankMetrics() {
    this(null);
  }

  /**
   * @param nodeId the node's id, a {@code node} label on every metric (so that the series of
   *     several nodes stay apart once scraped together), or {@code null} for none
   */
  public PlankMetrics(String nodeId) {
    // Before any meter is registered: common tags apply to meters registered after them.
    if (nodeId != null) registry.config().commonTags("node", nodeId);
    Gauge.builder("plank_connections", connections, AtomicInteger::get)
        .description("Open WebSocket connections")
        .register(registry);
    Gauge.builder("plank_subscriptions", subscriptions, AtomicInteger::get)
        .description("Active channel subscriptions over all connections")
        .register(registry);
    Gauge.builder("plank_parked_requests", parked, AtomicInteger::get)
        .description("Subscribe and unsubscribe requests waiting for the database to be reachable")
        .register(registry);
    changesReceived =
        Counter.builder("plank_changes_received")
            .description("Row changes received from PostgreSQL")
            .register(registry);
    messagesSent =
        Counter.builder("plank_messages_sent")
            .description("Change messages written to WebSocket clients")
            .register(registry);
    listenerReconnects =
        Counter.builder("plank_listener_reconnects")
            .description("Times the LISTEN connection was re-established after a loss")
            .register(registry);
    slowConsumers =
        Counter.builder("plank_slow_consumers")
            .description("WebSocket clients closed (1008) because their outbound queue was full")
            .register(registry);
    changesWithheld =
        Counter.builder("plank_changes_skipped")
            .description(
                "Changes not delivered live because they exceed PLANK_MAX_CHANGE_BYTES or could"
                    + " not be read; their subscribers were sent resync")
            .register(registry);
    changesPruned =
        Counter.builder("plank_changes_pruned")
            .description("Changes deleted from the log by retention")
            .register(registry);
    Gauge.builder("plank_listener_lag_changes", this, m -> m.lagChanges)
        .description(
            "Committed changes in the log newer than the newest this node's listener has seen"
                + " (seq distance, measured every PLANK_LAG_INTERVAL)")
        .register(registry);
    Gauge.builder("plank_listener_lag_seconds", this, m -> m.lagSeconds)
        .description(
            "Age of the oldest committed change this node's listener has not seen yet; 0 when"
                + " it has seen them all")
        .register(registry);
    Gauge.builder("plank_wal_slot_retained_bytes", this, m -> m.slotRetainedBytes)
        .description(
            "WAL the database server keeps for Plank's replication slot (PLANK_CAPTURE=wal):"
                + " pg_current_wal_lsn() - restart_lsn; -1 when not measured")
        .register(registry);
    Gauge.builder("plank_wal_leader", this, m -> m.walLeader)
        .description("1 while this node leads WAL capture (PLANK_CAPTURE=wal), else 0")
        .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    gcMetrics.bindTo(registry);
  }

  /**
   * A client ran into a limit ({@code plank_limit_hits_total{limit="..."}}); {@code limit} is one
   * of a few fixed names, never client input.
   */
  public void limitHit(String limit) {
    limitHits
        .computeIfAbsent(
            limit,
            name ->
                Counter.builder("plank_limit_hits")
                    .description("Times a client ran into a limit, by limit")
                    .tag("limit", name)
                    .register(registry))
        .increment();
  }

  /** A configured limit, as {@code plank_limit{limit="..."}}, so dashboards can show headroom. */
  public void limitConfigured(String limit, double value) {
    Gauge.builder("plank_limit", () -> value)
        .description("Configured limits, by limit (durations in seconds)")
        .tag("limit", limit)
        .register(registry);
  }

  public void connectionOpened() {
    connections.incrementAndGet();
  }

  public void connectionClosed() {
    connections.decrementAndGet();
  }

  public void subscriptionsChanged(int delta) {
    subscriptions.addAndGet(delta);
  }

  public void parkedChanged(int delta) {
    parked.addAndGet(delta);
  }

  public void changeReceived() {
    changesReceived.increment();
  }

  public void messagesSent(int count) {
    if (count > 0) messagesSent.increment(count);
  }

  public void slowConsumerClosed() {
    slowConsumers.increment();
  }

  public void changeWithheld() {
    changesWithheld.increment();
  }

  public void changesPruned(long count) {
    if (count > 0) changesPruned.increment((double) count);
  }

  public void listenerReconnected() {
    listenerReconnects.increment();
  }

  /** The WAL slot's retained bytes, as last measured (any thread). */
  /** The last measured retained WAL of the slot, or -1 when not measured (yet). Any thread. */
  public long slotRetainedBytes() {
    return slotRetainedBytes;
  }

  public void slotRetainedBytes(long bytes) {
    slotRetainedBytes = bytes;
  }

  /** Whether this node leads WAL capture (any thread). */
  public void walLeader(boolean leading) {
    walLeader = leading ? 1 : 0;
  }

  /** The listener's lag, as last measured. */
  public void listenerLag(long changes, double seconds) {
    lagChanges = changes;
    lagSeconds = seconds;
  }

  public int connections() {
    return connections.get();
  }

  public int subscriptions() {
    return subscriptions.get();
  }

  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gcMetrics.close();
    registry.close();
  }
}
