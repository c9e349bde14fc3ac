package dev.plank.capture;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Moves a future's outcome onto a given context. The pool completes queries on whichever event loop
 * it likes; code that owns its state on one context continues there.
 */
public final class OnContext {
  private OnContext() {}

  public static <T> Future<T> of(Context context, Future<T> future) {
    Promise<T> here = Promise.promise();
    future.onComplete(
        r -> {
          if (Vertx.currentContext() == context) here.handle(r);
          else context.runOnContext(v -> here.handle(r));
        });
    return here.future();
  }
}
