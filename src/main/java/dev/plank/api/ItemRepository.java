package dev.plank.api;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
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

  private static Optional<String> firstJson(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString(0));
  }
}
