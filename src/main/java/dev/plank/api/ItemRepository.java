package dev.plank.api;

import dev.plank.hub.Filter;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQL for {@code public.items}. Rows are rendered by PostgreSQL with {@code to_jsonb}, the same
 * function the capture trigger uses, so a REST response and the WebSocket change it causes carry
 * byte-for-byte the same item.
 */
final class ItemRepository {
  /** A created item: its id for the Location header and its JSON for the body. */
  record Created(long id, String json) {}

  // The inner ORDER BY makes LIMIT/OFFSET deterministic; the one in jsonb_agg keeps that order.
  private static final String LIST =
      "SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.id), '[]')::text"
          + " FROM (SELECT * FROM public.items ORDER BY id LIMIT $1 OFFSET $2) i";
  // A separate statement rather than "$3 IS NULL OR ...": a prepared statement's generic plan
  // could then not use an index on updated_at.
  private static final String LIST_SINCE =
      "SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.id), '[]')::text"
          + " FROM (SELECT * FROM public.items WHERE updated_at > $3"
          + " ORDER BY id LIMIT $1 OFFSET $2) i";
  private static final String GET = "SELECT to_jsonb(i)::text FROM public.items i WHERE i.id = $1";
  private static final String INSERT =
      "INSERT INTO public.items AS i (name, value) VALUES ($1, $2)"
          + " RETURNING i.id, to_jsonb(i)::text";
  private static final String REPLACE =
      "UPDATE public.items AS i SET name = $2, value = $3, updated_at = now()"
          + " WHERE i.id = $1 RETURNING to_jsonb(i)::text";
  // One fixed statement for every subset of fields: the flags pick which columns change, so the
  // SQL text never depends on the request.
  private static final String PATCH =
      "UPDATE public.items AS i SET"
          + " name = CASE WHEN $2::boolean THEN $3::text ELSE i.name END,"
          + " value = CASE WHEN $4::boolean THEN $5::integer ELSE i.value END,"
          + " updated_at = now()"
          + " WHERE i.id = $1 RETURNING to_jsonb(i)::text";
  private static final String DELETE = "DELETE FROM public.items WHERE id = $1";

  /** A write whose row, before or after, is outside the writer's bound filter: rolled back. */
  static final class OutsideBound extends RuntimeException {
    OutsideBound() {
      super("outside the bound filter", null, false, false);
    }
  }

  private final Pool pool;

  ItemRepository(Pool pool) {
    this.pool = pool;
  }

  /** The page as a JSON array. */
  Future<String> list(ListQuery query) {
    Future<RowSet<Row>> rows =
        query.since() == null
            ? pool.preparedQuery(LIST).execute(Tuple.of(query.limit(), query.offset()))
            : pool.preparedQuery(LIST_SINCE)
                .execute(Tuple.of(query.limit(), query.offset(), query.since()));
    return rows.map(set -> set.iterator().next().getString(0));
  }

  Future<Optional<String>> get(long id) {
    return pool.preparedQuery(GET).execute(Tuple.of(id)).map(ItemRepository::firstJson);
  }

  Future<Created> create(ItemWrite item) {
    return pool.preparedQuery(INSERT)
        .execute(Tuple.of(item.name(), item.value()))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              return new Created(row.getLong(0), row.getString(1));
            });
  }

  /** Writes every field; empty when there is no such item. */
  Future<Optional<String>> replace(long id, ItemWrite item) {
    return pool.preparedQuery(REPLACE)
        .execute(Tuple.of(id, item.name(), item.value()))
        .map(ItemRepository::firstJson);
  }

  /** Writes the fields the request set; empty when there is no such item. */
  Future<Optional<String>> patch(long id, ItemWrite item) {
    return pool.preparedQuery(PATCH)
        .execute(Tuple.of(id, item.setsName(), item.name(), item.setsValue(), item.value()))
        .map(ItemRepository::firstJson);
  }

  /** Whether an item was deleted. */
  Future<Boolean> delete(long id) {
    return pool.preparedQuery(DELETE).execute(Tuple.of(id)).map(rows -> rows.rowCount() > 0);
  }

  // ---- under a policy's bound filter (Filter.toSql: catalog-checked columns, bound values) ----

  /** The page of the rows inside {@code bound} (null: every row). */
  Future<String> list(ListQuery query, Filter bound) {
    if (bound == null) return list(query);
    List<Object> params = new ArrayList<>(List.of(query.limit(), query.offset()));
    if (query.since() != null) params.add(query.since());
    // The bound's SQL comes from the policy and the catalog; its values are parameters after these.
    String where =
        (query.since() == null ? "" : "t.updated_at > $3 AND ") + "(" + bound.toSql(params) + ")";
    String sql =
        "SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.id), '[]')::text"
            + " FROM (SELECT t.* FROM public.items t WHERE "
            + where
            + " ORDER BY t.id LIMIT $1 OFFSET $2) i";
    return pool.preparedQuery(sql)
        .execute(Tuple.from(params))
        .map(set -> set.iterator().next().getString(0));
  }

  /** The item if it exists and is inside {@code bound}: a row outside is absent. */
  Future<Optional<String>> get(long id, Filter bound) {
    if (bound == null) return get(id);
    List<Object> params = new ArrayList<>(List.of(id));
    String sql =
        "SELECT to_jsonb(t.*)::text FROM public.items t WHERE t.id = $1 AND ("
            + bound.toSql(params)
            + ")";
    return pool.preparedQuery(sql).execute(Tuple.from(params)).map(ItemRepository::firstJson);
  }

  /** Creates the item if the new row is inside {@code bound}, else fails with OutsideBound. */
  Future<Created> create(ItemWrite item, Filter bound) {
    if (bound == null) return create(item);
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(INSERT)
                .execute(Tuple.of(item.name(), item.value()))
                .compose(
                    rows -> {
                      Row row = rows.iterator().next();
                      Created created = new Created(row.getLong(0), row.getString(1));
                      return requireInside(conn, created.id(), bound).map(created);
                    }));
  }

  /** {@link #replace(long, ItemWrite)} of a row inside {@code bound} that stays inside it. */
  Future<Optional<String>> replace(long id, ItemWrite item, Filter bound) {
    if (bound == null) return replace(id, item);
    return guardedUpdate(
        id,
        bound,
        conn -> conn.preparedQuery(REPLACE).execute(Tuple.of(id, item.name(), item.value())));
  }

  /** {@link #patch(long, ItemWrite)} of a row inside {@code bound} that stays inside it. */
  Future<Optional<String>> patch(long id, ItemWrite item, Filter bound) {
    if (bound == null) return patch(id, item);
    return guardedUpdate(
        id,
        bound,
        conn ->
            conn.preparedQuery(PATCH)
                .execute(
                    Tuple.of(id, item.setsName(), item.name(), item.setsValue(), item.value())));
  }

  /** Deletes the item if it is inside {@code bound}; fails with OutsideBound if it is not. */
  Future<Boolean> delete(long id, Filter bound) {
    if (bound == null) return delete(id);
    return pool.withTransaction(
        conn ->
            lockInside(conn, id, bound)
                .compose(
                    exists ->
                        !exists
                            ? Future.succeededFuture(false)
                            : conn.preparedQuery(DELETE)
                                .execute(Tuple.of(id))
                                .map(rows -> rows.rowCount() > 0)));
  }

  /**
   * Locks the row, checks it is inside the bound, writes, and checks the row it became: all in one
   * transaction, so no concurrent write can slip between the check and the write.
   */
  private Future<Optional<String>> guardedUpdate(
      long id,
      Filter bound,
      java.util.function.Function<SqlConnection, Future<RowSet<Row>>> write) {
    return pool.withTransaction(
        conn ->
            lockInside(conn, id, bound)
                .compose(
                    exists -> {
                      if (!exists) return Future.succeededFuture(Optional.<String>empty());
                      return write
                          .apply(conn)
                          .map(ItemRepository::firstJson)
                          .compose(json -> requireInside(conn, id, bound).map(json));
                    }));
  }

  /** Locks the row: false if there is none; fails with OutsideBound if it is outside. */
  private static Future<Boolean> lockInside(SqlConnection conn, long id, Filter bound) {
    return inside(conn, id, bound, " FOR UPDATE")
        .map(
            in -> {
              if (in.isEmpty()) return false;
              if (!in.get()) throw new OutsideBound();
              return true;
            });
  }

  /** Fails with OutsideBound unless the (written) row is inside the bound. */
  private static Future<Void> requireInside(SqlConnection conn, long id, Filter bound) {
    return inside(conn, id, bound, "")
        .map(
            in -> {
              if (!in.orElse(false)) throw new OutsideBound();
              return null;
            });
  }

  /** Whether the row is inside the bound (a NULL comparison is not), empty when it is absent. */
  private static Future<Optional<Boolean>> inside(
      SqlConnection conn, long id, Filter bound, String lock) {
    List<Object> params = new ArrayList<>(List.of(id));
    String sql =
        "SELECT coalesce(("
            + bound.toSql(params)
            + "), false) FROM public.items t WHERE t.id = $1"
            + lock;
    return conn.preparedQuery(sql)
        .execute(Tuple.from(params))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(rows.iterator().next().getBoolean(0)));
  }

  private static Optional<String> firstJson(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString(0));
  }
}
