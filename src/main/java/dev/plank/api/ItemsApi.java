package dev.plank.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.plank.auth.Policy;
import dev.plank.db.UnknownTableException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CRUD over {@code public.items} at {@code /api/items}, with FastAPI's conventions: 422 naming
 * every invalid field, 404 for unknown ids, 400 for malformed JSON, problem+json for all errors.
 *
 * <p>Writes go to PostgreSQL and nowhere else: the capture trigger turns them into change messages,
 * exactly as it does for any other SQL client.
 */
public final class ItemsApi {
  static final long BODY_LIMIT = 1024 * 1024;
  private static final String ITEMS = "/api/items";
  private static final String ITEM = "/api/items/:id";
  private static final String JSON = "application/json";
  private static final Logger log = LoggerFactory.getLogger(ItemsApi.class);
  private static final String UNDEFINED_TABLE = "42P01";
  static final String NO_ITEMS_TABLE =
      "This database has no table public.items, the demo table behind /api/items:"
          + " start Plank with --demo (PLANK_DEMO=true) to create it";

  private final ItemRepository items;
  private final ItemsAccess access;
  private final ObjectReader reader;

  public ItemsApi(Pool pool, ObjectMapper json) {
    this(pool, json, null);
  }

  /**
   * @param policy {@code PLANK_POLICY}, or null when every caller may read and write every item
   */
  public ItemsApi(Pool pool, ObjectMapper json, Policy policy) {
    this.items = new ItemRepository(pool);
    this.access = new ItemsAccess(policy, pool);
    // '{"name":"a"} junk' is malformed, not a valid object followed by noise.
    this.reader = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /**
   * Mounts /api/items. Bodies go through a BodyHandler limited to 1 MiB (413 beyond); any other
   * failure is left to the router's failure handler.
   */
  public void mount(Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(BODY_LIMIT);
    router.get(ITEMS).handler(guarded(this::list));
    router
        .post(ITEMS)
        .handler(body)
        .handler(guarded(this::create))
        .failureHandler(ItemsApi::tooLarge);
    router.route(ITEMS).handler(ctx -> methodNotAllowed(ctx, "GET, POST"));
    router.get(ITEM).handler(guarded(this::get));
    router
        .put(ITEM)
        .handler(body)
        .handler(guarded(this::replace))
        .failureHandler(ItemsApi::tooLarge);
    router
        .patch(ITEM)
        .handler(body)
        .handler(guarded(this::patch))
        .failureHandler(ItemsApi::tooLarge);
    router.delete(ITEM).handler(guarded(this::delete));
    router.route(ITEM).handler(ctx -> methodNotAllowed(ctx, "GET, PUT, PATCH, DELETE"));
  }

  private void list(RoutingContext ctx) {
    ListQuery query = ItemValidator.listQuery(ctx.queryParams());
    access
        .read(ctx)
        .compose(bound -> items.list(query, bound))
        .onSuccess(json -> sendJson(ctx, 200, json))
        .onFailure(e -> dbError(ctx, e));
  }

  private void create(RoutingContext ctx) {
    List<FieldError> errors = new ArrayList<>();
    ItemWrite item = ItemValidator.full(body(ctx), errors);
    ValidationException.throwIfAny(errors);
    access
        .write(ctx)
        .compose(bound -> items.create(item, bound))
        .onSuccess(
            created -> {
              ctx.response().putHeader("Location", ITEMS + "/" + created.id());
              sendJson(ctx, 201, created.json());
            })
        .onFailure(e -> dbError(ctx, e));
  }

  private void get(RoutingContext ctx) {
    long id = ItemValidator.id(ctx.pathParam("id"));
    access
        .read(ctx)
        .compose(bound -> items.get(id, bound))
        .onSuccess(json -> sendItem(ctx, id, json.orElse(null)))
        .onFailure(e -> dbError(ctx, e));
  }

  private void replace(RoutingContext ctx) {
    JsonNode body = body(ctx);
    List<FieldError> errors = new ArrayList<>();
    long id = ItemValidator.id(ctx.pathParam("id"), errors);
    ItemWrite item = ItemValidator.full(body, errors);
    ValidationException.throwIfAny(errors);
    access
        .write(ctx)
        .compose(bound -> items.replace(id, item, bound))
        .onSuccess(json -> sendItem(ctx, id, json.orElse(null)))
        .onFailure(e -> dbError(ctx, e));
  }

  private void patch(RoutingContext ctx) {
    JsonNode body = body(ctx);
    List<FieldError> errors = new ArrayList<>();
    long id = ItemValidator.id(ctx.pathParam("id"), errors);
    ItemWrite item = ItemValidator.partial(body, errors);
    ValidationException.throwIfAny(errors);
    // An empty patch changes nothing, so it writes nothing: no updated_at bump and no change
    // message for subscribers, just the current item.
    access
        .write(ctx)
        .compose(
            bound ->
                item.isEmpty()
                    ? access.read(ctx).compose(readable -> items.get(id, readable))
                    : items.patch(id, item, bound))
        .onSuccess(json -> sendItem(ctx, id, json.orElse(null)))
        .onFailure(e -> dbError(ctx, e));
  }

  private void delete(RoutingContext ctx) {
    long id = ItemValidator.id(ctx.pathParam("id"));
    access
        .write(ctx)
        .compose(bound -> items.delete(id, bound))
        .onSuccess(
            deleted -> {
              if (!deleted) {
                notFound(ctx, id);
              } else if (!ctx.response().closed()) {
                ctx.response().setStatusCode(204).end();
              }
            })
        .onFailure(e -> dbError(ctx, e));
  }

  /** The request body as JSON; an absent body is a missing node, left to the validator. */
  private JsonNode body(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null ? ctx.request().getHeader("Origin") != null : !isJson(type)) {
      throw new UnsupportedType();
    }
    Buffer buffer = ctx.body().buffer();
    if (buffer == null || buffer.length() == 0) return MissingNode.getInstance();
    try {
      JsonNode node = reader.readTree(buffer.getBytes());
      return node == null ? MissingNode.getInstance() : node;
    } catch (JsonProcessingException e) {
      throw new MalformedJson(describe(e));
    } catch (IOException e) {
      throw new MalformedJson("Malformed JSON");
    }
  }

  // Browsers send form and text/plain bodies cross-site without a CORS preflight; accepting only
  // JSON keeps this API out of reach of such forged requests. A request that declares no type at
  // all is read as JSON, as simple scripts often send none, but not from a browser (which sends
  // Origin with every POST): a POST of an untyped Blob, or a sendBeacon, needs no preflight
  // either and carries no Content-Type.
  private static boolean isJson(String contentType) {
    String media = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return media.equals(JSON) || (media.startsWith("application/") && media.endsWith("+json"));
  }

  private static String describe(JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    // Jackson's limits name the Java method that sets them: "(64, from
    // `StreamReadConstraints...`)".
    String what = e.getOriginalMessage().replaceAll(", from `[^`]*`", "");
    return "Malformed JSON" + where + ": " + what;
  }

  /**
   * Turns input errors thrown while handling into their responses, here rather than in a failure
   * handler, so they never reach a generic 500.
   */
  private static Handler<RoutingContext> guarded(Handler<RoutingContext> handler) {
    return ctx -> {
      try {
        handler.handle(ctx);
      } catch (ValidationException e) {
        Problem.invalid(ctx, e.errors());
      } catch (MalformedJson e) {
        Problem.send(ctx, 400, e.getMessage());
      } catch (UnsupportedType e) {
        Problem.send(ctx, 415, "Content-Type must be " + JSON);
      }
    };
  }

  /** Names the limit on a 413; every other failure goes on to the server's failure handler. */
  private static void tooLarge(RoutingContext ctx) {
    if (ctx.statusCode() == 413) {
      Problem.send(ctx, 413, "The request body is larger than " + BODY_LIMIT + " bytes");
    } else {
      ctx.next();
    }
  }

  private static void methodNotAllowed(RoutingContext ctx, String allowed) {
    ctx.response().putHeader("Allow", allowed);
    Problem.send(ctx, 405, "Allowed methods: " + allowed);
  }

  private static void sendItem(RoutingContext ctx, long id, String json) {
    if (json == null) {
      notFound(ctx, id);
    } else {
      sendJson(ctx, 200, json);
    }
  }

  private static void notFound(RoutingContext ctx, long id) {
    Problem.send(ctx, 404, "Item " + id + " not found");
  }

  private static void sendJson(RoutingContext ctx, int status, String json) {
    HttpServerResponse response = ctx.response();
    if (response.closed()) return; // the client left; nothing to answer
    response.setStatusCode(status).putHeader("Content-Type", JSON).end(json);
  }

  private static void dbError(RoutingContext ctx, Throwable error) {
    if (error instanceof ItemsAccess.Denied denied) {
      Problem.send(ctx, denied.status, denied.getMessage());
      return;
    }
    if (error instanceof ItemRepository.OutsideBound) {
      // Nothing was written: the transaction rolled back.
      Problem.send(ctx, 403, "The item is outside the rows this token may write");
      return;
    }
    if (error instanceof UnknownTableException) {
      Problem.send(ctx, 404, NO_ITEMS_TABLE);
      return;
    }
    if (error instanceof PgException pg && UNDEFINED_TABLE.equals(pg.getSqlState())) {
      // Not a fault: this database has no demo table, which Plank creates only when asked to.
      Problem.send(ctx, 404, NO_ITEMS_TABLE);
      return;
    }
    // The client learns only that it failed; SQL states and messages stay in the log.
    log.warn("{} {}: database error", ctx.request().method(), ctx.request().path(), error);
    Problem.send(ctx, 500, "The request could not be completed; please retry later");
  }

  /** A body that is not JSON at all. */
  private static final class MalformedJson extends RuntimeException {
    MalformedJson(String message) {
      super(message, null, false, false);
    }
  }

  private static final class UnsupportedType extends RuntimeException {
    UnsupportedType() {
      super(null, null, false, false);
    }
  }
}
