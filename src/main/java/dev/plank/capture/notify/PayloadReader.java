package dev.plank.capture.notify;

import dev.plank.capture.Change;
import dev.plank.capture.ChangeDecoder;
import dev.plank.capture.LogEntries;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a notification's payload into a {@link Change}: the change itself, or a reference to one
 * too large for a notification, which is fetched from the log (a few attempts). Stateless.
 */
final class PayloadReader {
  private static final Logger LOG = LoggerFactory.getLogger(PayloadReader.class);
  private static final String FETCH = LogEntries.select(2) + " WHERE c.seq = $1";
  private static final int FETCH_ATTEMPTS = 5;
  private static final long RETRY_MS = 100;

  private final Vertx vertx;
  private final Pool pool;
  private final LogEntries entries;

  PayloadReader(Vertx vertx, Pool pool, LogEntries entries) {
    this.vertx = vertx;
    this.pool = pool;
    this.entries = entries;
  }

  /** Completed at once unless the payload is a reference; fails when it cannot be read. */
  Future<Change> read(String payload) {
    try {
      ChangeDecoder.Payload decoded = entries.decoder().read(payload);
      if (decoded instanceof ChangeDecoder.Reference ref) return fetch(ref.seq(), FETCH_ATTEMPTS);
      return Future.succeededFuture(((ChangeDecoder.Whole) decoded).change());
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Change> fetch(long seq, int attemptsLeft) {
    return pool.preparedQuery(FETCH)
        .execute(Tuple.of(seq, entries.maxChangeBytes()))
        .map(
            rows -> {
              if (rows.size() == 0) throw new IllegalStateException("not in the change log");
              return entries.read(rows.iterator().next());
            })
        .recover(
            err -> {
              if (attemptsLeft <= 1) return Future.failedFuture(err);
              Promise<Change> retry = Promise.promise();
              vertx.setTimer(RETRY_MS, t -> fetch(seq, attemptsLeft - 1).onComplete(retry));
              return retry.future();
            })
        .onFailure(
            err ->
                LOG.error(
                    "Change seq {} could not be read from the log: {}", seq, err.getMessage()));
  }
}
