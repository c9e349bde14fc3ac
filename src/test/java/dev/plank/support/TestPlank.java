package dev.plank.support;

import dev.plank.Plank;
import dev.plank.config.DatabaseUrl;
import dev.plank.config.Settings;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A Plank node running in the test JVM, on a free port, against a fresh database of its own. */
public final class TestPlank implements AutoCloseable {
  private final Plank plank;
  private final DatabaseUrl database;
  private final TestDb db;
  private final int port;

  private TestPlank(Plank plank, DatabaseUrl database, int port) {
    this.plank = plank;
    this.database = database;
    this.db = new TestDb(database);
    this.port = port;
  }

  public static TestPlank start(Class<?> testClass) {
    return start(testClass, Map.of());
  }

  /** Starts with extra settings (keys as in {@link Settings}, e.g. {@code PLANK_TABLES}). */
  public static TestPlank start(Class<?> testClass, Map<String, String> settings) {
    return start(TestDatabases.create(testClass), settings);
  }

  /**
   * A node on a fresh database that verifies tokens signed with {@link Jwts#SECRET} and enforces
   * {@code policyJson} (written to a temporary file for {@code PLANK_POLICY}).
   */
  public static TestPlank startWithPolicy(Class<?> testClass, String policyJson) {
    try {
      java.nio.file.Path policy = java.nio.file.Files.createTempFile("plank-policy", ".json");
      policy.toFile().deleteOnExit();
      java.nio.file.Files.writeString(policy, policyJson);
      return start(
          testClass, Map.of("PLANK_JWT_SECRET", Jwts.SECRET, "PLANK_POLICY", policy.toString()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Starts against an existing database, created by the caller (who may set it up first). */
  public static TestPlank start(DatabaseUrl database, Map<String, String> settings) {
    int port = freePort();
    Map<String, String> values = new HashMap<>();
    values.put(Settings.DATABASE_URL, url(database));
    values.put(Settings.HOST, "127.0.0.1");
    values.put(Settings.PORT, Integer.toString(port));
    values.put(Settings.DEMO, "true"); // the tests' fresh databases get the demo table items
    values.putAll(settings);
    try {
      Plank plank =
          await(Plank.start(Settings.of(values)).toCompletionStage().toCompletableFuture());
      try {
        await(plank.databaseReady().toCompletionStage().toCompletableFuture());
      } catch (RuntimeException e) {
        plank.close();
        throw e;
      }
      return new TestPlank(plank, database, port);
    } catch (RuntimeException e) {
      TestDatabases.drop(database);
      throw e;
    }
  }

  public static String url(DatabaseUrl db) {
    return "postgresql://"
        + db.user()
        + (db.password() == null ? "" : ":" + db.password())
        + "@"
        + db.host()
        + ":"
        + db.port()
        + "/"
        + db.database();
  }

  public String httpUrl() {
    return "http://127.0.0.1:" + port;
  }

  public String wsUrl() {
    return "ws://127.0.0.1:" + port + "/ws";
  }

  /**
   * The sum of a metric's samples on {@code /metrics} (0 when absent). {@code name} may carry
   * labels, {@code plank_x{limit="a"}}: samples with those labels, whatever others (the node's)
   * they have.
   */
  public double metric(String name) {
    try {
      String body =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(java.net.URI.create(httpUrl() + "/metrics"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      return body.lines()
          .filter(l -> sampleOf(l, name))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
          .sum();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static boolean sampleOf(String line, String selector) {
    int brace = selector.indexOf('{');
    String base = brace < 0 ? selector : selector.substring(0, brace);
    if (!line.startsWith(base + " ") && !line.startsWith(base + "{")) return false;
    if (brace < 0) return true;
    int end = line.indexOf('}');
    String labels = end < 0 ? "" : "," + line.substring(base.length() + 1, end) + ",";
    String wanted = selector.substring(brace + 1, selector.length() - 1);
    for (String label : wanted.split(",", -1)) {
      if (!labels.contains("," + label + ",")) return false;
    }
    return true;
  }

  /**
   * Polls {@code /metrics} until the metric equals {@code expected} (10 s at most) and asserts it
   * does: a counter moves on the server's own threads, a moment after what the test observed.
   */
  public void awaitMetric(String name, double expected) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
    double value = metric(name);
    while (value != expected && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      value = metric(name);
    }
    org.assertj.core.api.Assertions.assertThat(value)
        .as("%s on /metrics", name)
        .isEqualTo(expected);
  }

  public int port() {
    return port;
  }

  public TestDb db() {
    return db;
  }

  public Plank plank() {
    return plank;
  }

  /** Stops the node but keeps its database, e.g. to start another node on it. */
  public void stop() {
    plank.close();
  }

  @Override
  public void close() {
    plank.close();
    if (LogicalPostgres.owns(database)) LogicalPostgres.drop(database);
    else TestDatabases.drop(database);
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
    try {
      return future.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
