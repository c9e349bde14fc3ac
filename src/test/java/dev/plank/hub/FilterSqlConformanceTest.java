package dev.plank.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.config.DatabaseUrl;
import dev.plank.db.Catalog;
import dev.plank.db.ColumnType;
import dev.plank.db.TableInfo;
import dev.plank.support.TestDatabases;
import dev.plank.support.TestDb;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The snapshot's SQL gives every answer of {@code filter-conformance.json} on real PostgreSQL: each
 * case's row is stored, and the filter runs as the snapshot runs it ({@code SELECT to_jsonb(t) FROM
 * … t WHERE <compiled filter>}, values bound as text, over the Vert.x client). The SQL alone must
 * decide (every condition is pushed into SQL, exactly), and the in-memory re-check of the row
 * PostgreSQL wrote must agree.
 */
class FilterSqlConformanceTest {
  static DatabaseUrl database;
  static TestDb db;
  static Vertx vertx;
  static PgConnection connection;
  static TableInfo table;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabases.create(FilterSqlConformanceTest.class);
    db = new TestDb(database);
    db.execute(
        "CREATE TABLE conformance (id int PRIMARY KEY, "
            + FilterConformance.columnTypes().entrySet().stream()
                .map(e -> '"' + e.getKey() + "\" " + e.getValue())
                .collect(Collectors.joining(", "))
            + ")");
    vertx = Vertx.vertx();
    connection = await(PgConnection.connect(vertx, database.connectOptions()));
    table = await(Catalog.describe(connection, FilterConformance.TABLE));
  }

  @AfterAll
  static void stop() throws Exception {
    if (connection != null) await(connection.close());
    if (vertx != null) await(vertx.close());
    TestDatabases.drop(database);
  }

  @Test
  void theCatalogGivesTheColumnsTheKindsTheSuiteDeclares() {
    Map<String, ColumnType> catalog = new java.util.LinkedHashMap<>(table.columns());
    catalog.remove("id");
    assertThat(catalog).isEqualTo(FilterConformance.kinds());
  }

  @TestFactory
  Stream<DynamicTest> everyCase() {
    return FilterConformance.cases().stream()
        .filter(c -> !c.refused())
        .map(c -> dynamicTest(c.toString(), () -> check(c)));
  }

  /** A jsonb column holding JSON null (not SQL NULL) reaches the matcher as null: is.null holds. */
  @Test
  void jsonNullInAJsonbColumnIsNull() throws Exception {
    db.execute("INSERT INTO conformance(id, j) VALUES (-1, 'null'::jsonb)");
    for (String filter : List.of("j=is.null", "j=neq.null", "j=eq.null", "j=in.(null)")) {
      Filter compiled = FilterParser.parse(filter, table);
      ObjectNode row = storedRow(-1);
      assertThat(row.get("j").isNull()).isTrue();
      assertThat(snapshotAdmits(compiled, -1))
          .as("SQL for %s on jsonb null", filter)
          .isEqualTo(compiled.matches(row))
          .isEqualTo(filter.equals("j=is.null"));
    }
  }

  private static void check(FilterConformance.Case c) throws Exception {
    int id = c.index();
    ObjectNode given = c.row().deepCopy();
    given.put("id", id);
    await(
        connection
            .preparedQuery(
                "INSERT INTO conformance"
                    + " SELECT * FROM jsonb_populate_record(NULL::conformance, $1::text::jsonb)")
            .execute(Tuple.of(FilterConformance.EXACT.writeValueAsString(given))));
    ObjectNode stored = storedRow(id);
    if (!c.synthetic()) assertWrittenAsGiven(c.row(), stored);

    Filter filter = FilterParser.parse(c.filter(), table);
    boolean sql = snapshotAdmits(filter, id);
    assertThat(sql).as("SQL alone decides %s on %s", c.filter(), stored).isEqualTo(c.match());
    assertThat(filter.matches(stored))
        .as("in-memory re-check of %s on %s", c.filter(), stored)
        .isEqualTo(c.match());
  }

  /** The case's row is one PostgreSQL writes: each value it gives comes back in the same text. */
  private static void assertWrittenAsGiven(ObjectNode given, ObjectNode stored)
      throws JsonProcessingException {
    for (Iterator<String> names = given.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      assertThat(FilterConformance.EXACT.writeValueAsString(stored.get(name)))
          .as("to_jsonb writes %s as", name)
          .isEqualTo(FilterConformance.EXACT.writeValueAsString(given.get(name)));
    }
  }

  private static boolean snapshotAdmits(Filter filter, int id) throws Exception {
    List<Object> params = new ArrayList<>();
    String sql =
        "SELECT to_jsonb(t)::text FROM "
            + table.ref().quoted()
            + " t WHERE "
            + filter.toSql(params)
            + " ORDER BY t.id";
    RowSet<Row> rows = await(connection.preparedQuery(sql).execute(Tuple.from(params)));
    boolean admitted = false;
    for (Row row : rows) {
      JsonNode json = FilterConformance.EXACT.readTree(row.getString(0));
      if (json.path("id").asInt() == id) admitted = true;
    }
    return admitted;
  }

  private static ObjectNode storedRow(int id) throws Exception {
    RowSet<Row> rows =
        await(
            connection
                .preparedQuery("SELECT to_jsonb(t)::text FROM conformance t WHERE id = $1")
                .execute(Tuple.of(id)));
    return (ObjectNode) FilterConformance.EXACT.readTree(rows.iterator().next().getString(0));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
