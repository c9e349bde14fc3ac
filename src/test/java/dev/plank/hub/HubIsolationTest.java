package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plank.capture.Change;
import dev.plank.capture.Position;
import dev.plank.capture.RowJson;
import dev.plank.db.ColumnType;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import dev.plank.metrics.PlankMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One subscriber that throws does not keep a change from the subscribers after it. */
class HubIsolationTest {
  private static final TableRef ITEMS = new TableRef("public", "items");
  private static final ChangeCodec CODEC = c -> "frame".getBytes(StandardCharsets.UTF_8);

  private final Vertx vertx = Vertx.vertx();
  private final PlankMetrics metrics = new PlankMetrics();

  @AfterEach
  void close() throws Exception {
    metrics.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void aThrowingSubscriberDoesNotStopDeliveryToTheOthers() throws Exception {
    Context context = vertx.getOrCreateContext();
    Hub hub =
        new Hub(
            context,
            metrics,
            10,
            null,
            1,
            dev.plank.config.Settings.of(java.util.Map.of()).limits());
    hub.tablesReady(List.of(new TableInfo(ITEMS, Map.of("id", ColumnType.NUMBER), List.of("id"))));
    context.runOnContext(v -> hub.listenerUp());

    Recording broken = new Recording(true);
    Recording healthy = new Recording(false);
    for (Recording subscriber : List.of(broken, healthy)) {
      hub.subscribe(subscriber, new SubscribeRequest(null, "items", Set.of(), null, null, false));
      subscriber.subscribed.get(5, TimeUnit.SECONDS);
    }

    Change change =
        new Change(1, 10, 10, "ts", ITEMS, Change.Op.INSERT, new RowJson("{\"id\": 1}"), null);
    context.runOnContext(v -> hub.publish(change));

    assertThat(healthy.received.get(5, TimeUnit.SECONDS)).isEqualTo("frame");
  }

  /** A connection as the hub sees it: records what it gets, or throws on every change. */
  private static final class Recording implements Subscriber {
    final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    final CompletableFuture<String> received = new CompletableFuture<>();
    private final boolean throwing;

    Recording(boolean throwing) {
      this.throwing = throwing;
    }

    @Override
    public ChangeCodec codec() {
      return CODEC;
    }

    @Override
    public void send(byte[] encoded) {
      if (throwing) throw new IllegalStateException("broken session");
      received.complete(new String(encoded, StandardCharsets.UTF_8));
    }

    @Override
    public void snapshotPage(
        String channel, JsonNode id, List<RowJson> rows, boolean last, Position position) {}

    @Override
    public void subscribed(JsonNode id, String channel) {
      subscribed.complete(null);
    }

    @Override
    public void unsubscribed(JsonNode id, String channel) {}

    @Override
    public void rejected(JsonNode id, Refusal reason, String message) {
      subscribed.completeExceptionally(new AssertionError(message));
    }

    @Override
    public void resync(String channel, String reason) {}

    @Override
    public Future<Void> whenWritable() {
      return Future.succeededFuture();
    }

    @Override
    public void tooSlow() {}

    @Override
    public boolean isOpen() {
      return true;
    }
  }
}
