package dev.plank.api;

import dev.plank.auth.Policy;
import dev.plank.auth.Principal;
import dev.plank.auth.Principals;
import dev.plank.db.Catalog;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import dev.plank.hub.Filter;
import dev.plank.hub.RowBound;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a REST caller may do with {@code public.items} (the channel {@code items}) under {@code
 * PLANK_POLICY}: the bound filter its reads and writes must stay inside, or a refusal (401 without
 * a token where the policy has no {@code anon} role, 403 without the grant). Without a policy every
 * caller may do everything. Thread-safe: shared by every event loop's router.
 */
final class ItemsAccess {
  static final String CHANNEL = "items";

  private static final TableRef TABLE = TableRef.parse("public.items");

  private final Policy policy; // null: no policy
  private final Pool pool;
  // The table's columns, to compile bound filters against; described once, again after a failure.
  private final AtomicReference<Future<TableInfo>> table = new AtomicReference<>();

  ItemsAccess(Policy policy, Pool pool) {
    this.policy = policy;
    this.pool = pool;
  }

  /** A request refused before it reaches the database. */
  static final class Denied extends RuntimeException {
    final int status;

    Denied(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** The caller's read bound: null (every row) without a policy; fails with {@link Denied}. */
  Future<Filter> read(RoutingContext ctx) {
    return bound(ctx, true);
  }

  /** The caller's write bound, for the row before and after: as {@link #read}. */
  Future<Filter> write(RoutingContext ctx) {
    return bound(ctx, false);
  }

  private Future<Filter> bound(RoutingContext ctx, boolean read) {
    if (policy == null) return Future.succeededFuture(null);
    Principal principal = Principals.of(ctx);
    if (principal.claims().isEmpty() && !policy.allowsAnonymous()) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      return Future.failedFuture(new Denied(401, "A token is required"));
    }
    boolean granted =
        read ? policy.mayRead(principal, CHANNEL) : policy.mayWrite(principal, CHANNEL);
    if (!granted) {
      return Future.failedFuture(
          new Denied(403, "This token may not " + (read ? "read" : "write") + " items"));
    }
    RowBound rows = read ? policy.read(principal, CHANNEL) : policy.write(principal, CHANNEL);
    return onOwnContext(ctx, table())
        .map(
            info -> {
              Filter bound = rows.on(info);
              // The rule fails closed for this token (a missing claim, say): nothing is allowed.
              if (bound == null) {
                throw new Denied(403, "This token may not " + (read ? "read" : "write") + " items");
              }
              return bound.isAll() ? null : bound;
            });
  }

  /**
   * The table's description, completed on the request's own event loop: the cached future may
   * belong to the context of whichever request first asked, and the response must not be written
   * from there.
   */
  private static Future<TableInfo> onOwnContext(RoutingContext ctx, Future<TableInfo> table) {
    if (table.isComplete()) return table;
    Context own = ctx.vertx().getOrCreateContext();
    Promise<TableInfo> here = Promise.promise();
    table.onComplete(r -> own.runOnContext(v -> here.handle(r)));
    return here.future();
  }

  private Future<TableInfo> table() {
    Future<TableInfo> known = table.get();
    if (known != null) return known;
    Future<TableInfo> described = Catalog.describe(pool, TABLE);
    if (!table.compareAndSet(null, described)) return table.get();
    described.onFailure(e -> table.compareAndSet(described, null));
    return described;
  }
}
