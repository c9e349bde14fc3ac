package dev.plank.capture;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

/**
 * Moves a future's outcome onto a given context. The pool completes queries on whichever event loop
 * it likes; code that owns its state on one context continues there.
 */
public final class OnContext {
  private OnContext() {}

  /**
   * Whether the caller runs on the context's event loop thread, for owning-thread assertions. A
   * connection the context opened may run its handlers on a context of its own on the same loop:
   * that thread owns the state just the same.
   */
  public static boolean owns(Context context) {
    return Vertx.currentContext() == context
        || ((ContextInternal) context).nettyEventLoop().inEventLoop();
  }

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
