package dev.plank.pubsub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.capture.Backoff;
import dev.plank.capture.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Broadcast and presence's side of PostgreSQL: NOTIFY on {@value ClusterMessage#CHANNEL} (with the
 * presence table written in the same statement), a LISTEN connection of its own, the node's
 * heartbeat, and reads of the other nodes' state. Writes run one at a time, in the order they were
 * asked for, so that the other nodes see this node's joins and leaves in order. Everything is owned
 * by {@code context}, {@link PubSub}'s; results complete there.
 */
final class PubSubBus {
  private static final Logger log = LoggerFactory.getLogger(PubSubBus.class);
  private static final long PROBE_TIMEOUT_MS = 5_000;

  private final Vertx vertx;
  private final Context context;
  private final Pool pool;
  private final PgConnectOptions listenOptions;
  private final ObjectMapper json;
  private final String node;
  private final double expirySeconds;
  private final Backoff backoff = new Backoff(100, 5_000);
  private Future<?> tail = Future.succeededFuture(); // the last write asked for
  private PgConnection listener; // null while (re)connecting
  private Consumer<String> onNotification;
  private Runnable onListening;
  private boolean closed;

  PubSubBus(
      Vertx vertx,
      Context context,
      Pool pool,
      PgConnectOptions listenOptions,
      ObjectMapper json,
      String node,
      Duration expiry) {
    this.vertx = vertx;
    this.context = context;
    this.pool = pool;
    this.listenOptions = listenOptions;
    this.json = json;
    this.node = node;
    this.expirySeconds = expiry.toMillis() / 1000.0;
  }

  /** Sends a message to every node (this one too: it ignores its own). */
  Future<Void> publish(String message) {
    return write(
        () ->
            pool.preparedQuery("SELECT pg_notify($1, $2)")
                .execute(Tuple.of(ClusterMessage.CHANNEL, message)));
  }

  /** Writes an entry, replacing the one whose ref is {@code replaced} (null: none). */
  Future<Void> track(Presence entry, String replaced, String message) {
    return write(
        () ->
            pool.preparedQuery(
                    "WITH d AS (DELETE FROM plank.presence WHERE node = $1 AND ref = $8),"
                        + " w AS (INSERT INTO plank.presence (node, ref, topic, key, state)"
                        + " VALUES ($1, $2, $3, $4, ($5::text)::jsonb) ON CONFLICT (node, ref)"
                        + " DO UPDATE SET state = excluded.state)"
                        + " SELECT pg_notify($6, $7)")
                .execute(
                    Tuple.of(
                        node,
                        entry.ref(),
                        entry.topic(),
                        entry.key(),
                        entry.state().toString(),
                        ClusterMessage.CHANNEL,
                        message,
                        replaced)));
  }

  Future<Void> untrack(String ref, String message) {
    return write(
        () ->
            pool.preparedQuery(
                    "WITH d AS (DELETE FROM plank.presence WHERE node = $1 AND ref = $2)"
                        + " SELECT pg_notify($3, $4)")
                .execute(Tuple.of(node, ref, ClusterMessage.CHANNEL, message)));
  }

  /** Writes the node's heartbeat, and forgets nodes long dead and their entries. */
  Future<Void> heartbeat() {
    return write(
        () ->
            pool.preparedQuery(
                    "WITH h AS (INSERT INTO plank.pubsub_nodes (node, seen) VALUES ($1, now())"
                        + " ON CONFLICT (node) DO UPDATE SET seen = now()),"
                        + " p AS (DELETE FROM plank.presence p WHERE p.node <> $1 AND NOT EXISTS"
                        + " (SELECT 1 FROM plank.pubsub_nodes n WHERE n.node = p.node"
                        + " AND n.seen > now() - make_interval(secs => $2)))"
                        + " DELETE FROM plank.pubsub_nodes WHERE node <> $1"
                        + " AND seen < now() - make_interval(secs => $2 * 10)")
                .execute(Tuple.of(node, expirySeconds)));
  }

  /** The nodes whose heartbeat is recent. */
  Future<Set<String>> liveNodes() {
    Future<Set<String>> read =
        pool.preparedQuery(
                "SELECT node FROM plank.pubsub_nodes"
                    + " WHERE seen > now() - make_interval(secs => $1)")
            .execute(Tuple.of(expirySeconds))
            .map(
                rows -> {
                  Set<String> live = new HashSet<>();
                  for (Row row : rows) live.add(row.getString(0));
                  return live;
                });
    return OnContext.of(context, read);
  }

  /** The other live nodes' presence entries. */
  Future<List<Presence>> load() {
    Future<List<Presence>> read =
        pool.preparedQuery(
                "SELECT p.node, p.topic, p.key, p.ref, p.state::text FROM plank.presence p"
                    + " JOIN plank.pubsub_nodes n ON n.node = p.node"
                    + " WHERE n.seen > now() - make_interval(secs => $1) AND p.node <> $2")
            .execute(Tuple.of(expirySeconds, node))
            .map(
                rows -> {
                  List<Presence> out = new ArrayList<>();
                  for (Row row : rows) {
                    try {
                      out.add(
                          new Presence(
                              row.getString(0),
                              row.getString(1),
                              row.getString(2),
                              row.getString(3),
                              (ObjectNode) json.readTree(row.getString(4))));
                    } catch (java.io.IOException | ClassCastException e) {
                      log.debug("Skipping an unreadable presence row: {}", e.getMessage());
                    }
                  }
                  return out;
                });
    return OnContext.of(context, read);
  }

  /** Removes this node's rows and tells the others it is gone. */
  Future<Void> leaveCluster(String goneMessage) {
    Future<Void> done =
        write(
            () ->
                pool.preparedQuery(
                        "WITH a AS (DELETE FROM plank.presence WHERE node = $1),"
                            + " b AS (DELETE FROM plank.pubsub_nodes WHERE node = $1)"
                            + " SELECT pg_notify($2, $3)")
                    .execute(Tuple.of(node, ClusterMessage.CHANNEL, goneMessage)));
    return done.transform(
        r -> {
          closed = true;
          PgConnection conn = listener;
          listener = null;
          return conn == null ? Future.succeededFuture() : conn.close();
        });
  }

  private Future<Void> write(Supplier<Future<?>> op) {
    assert OnContext.owns(context) : "not on the pubsub context";
    Future<Void> done = tail.transform(r -> op.get()).mapEmpty();
    tail = done;
    return OnContext.of(context, done);
  }

  /**
   * Listens, and again after every loss; {@code onListening} runs once each LISTEN is in place
   * (notifications from before it may have been missed), {@code onNotification} for each payload.
   */
  void listen(Consumer<String> onNotification, Runnable onListening) {
    this.onNotification = onNotification;
    this.onListening = onListening;
    connect();
  }

  private void connect() {
    if (closed) return;
    OnContext.of(context, PgConnection.connect(vertx, listenOptions))
        .compose(
            conn -> {
              conn.notificationHandler(
                  n -> {
                    if (!ClusterMessage.CHANNEL.equals(n.getChannel())) return;
                    String payload = n.getPayload();
                    if (OnContext.owns(context)) onNotification.accept(payload);
                    else context.runOnContext(v -> onNotification.accept(payload));
                  });
              conn.closeHandler(v -> context.runOnContext(x -> lost(conn)));
              return OnContext.of(
                  context, conn.query("LISTEN " + ClusterMessage.CHANNEL).execute().map(r -> conn));
            })
        .onSuccess(
            conn -> {
              if (closed) {
                var unused = conn.close();
                return;
              }
              listener = conn;
              backoff.reset();
              onListening.run();
            })
        .onFailure(
            err -> {
              if (closed) return;
              if (backoff.attempts() == 0) {
                log.warn("Broadcast/presence listener cannot connect: {}", err.getMessage());
              }
              vertx.setTimer(backoff.next(), t -> context.runOnContext(v -> connect()));
            });
  }

  private void lost(PgConnection conn) {
    if (closed || listener != conn) return;
    listener = null;
    log.warn("Broadcast/presence listener lost its connection; reconnecting");
    vertx.setTimer(backoff.next(), t -> context.runOnContext(v -> connect()));
  }

  /** Closes a listener that stopped answering, so that it is replaced. */
  void probe() {
    PgConnection conn = listener;
    if (conn == null) return;
    long timer = vertx.setTimer(PROBE_TIMEOUT_MS, t -> conn.close());
    conn.query("SELECT 1").execute().onComplete(r -> vertx.cancelTimer(timer));
  }
}
