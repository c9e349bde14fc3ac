package dev.plank.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A process run as a user would run it (usually {@code java -jar target/plank.jar}), its stdout and
 * stderr merged and collected line by line, so that a test can wait for a line, an exit, or an HTTP
 * answer with a deadline.
 */
public final class PlankProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final List<String> lines = new ArrayList<>(); // guarded by itself
  private final Thread reader;

  private PlankProcess(Process process) {
    this.process = process;
    this.reader = new Thread(this::read, "output of pid " + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** The runnable jar the build made: {@code target/plank.jar}. */
  public static Path jar() {
    Path jar = Path.of(System.getProperty("plank.jar", "target/plank.jar")).toAbsolutePath();
    assertThat(jar).as("run `mvn package` first").isRegularFile();
    return jar;
  }

  /** {@code java -jar jar args…} in dir, with env added to this JVM's environment. */
  public static PlankProcess startJar(Path jar, Path dir, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(List.of(args));
    return start(command, dir, env);
  }

  public static PlankProcess start(List<String> command, Path dir, Map<String, String> env) {
    ProcessBuilder builder =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    // A developer's own settings must not leak into the process under test.
    builder
        .environment()
        .keySet()
        .removeIf(k -> k.startsWith("PLANK_") || k.equals("DATABASE_URL"));
    builder.environment().putAll(env);
    try {
      return new PlankProcess(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    }
  }

  private void read() {
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process is gone; what it said is in lines
    }
  }

  /** Waits for a line matching the predicate; fails with everything said so far if none comes. */
  public String awaitLine(Predicate<String> matching, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lines) {
      while (true) {
        for (String line : lines) if (matching.test(line)) return line;
        long left = deadline - System.nanoTime();
        if (left <= 0 || (!process.isAlive() && !reader.isAlive())) break;
        try {
          lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    throw new AssertionError("no such line within " + timeout + "; output:\n" + output());
  }

  /** Waits for the process to end and answers its exit code; fails if it is still running. */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("still running after " + timeout + "; output:\n" + output());
      }
      reader.join(5_000); // the last lines
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * SIGTERM, as {@code kill} or a service manager sends it. Through the process handle: {@link
   * Process#destroy()} would also close our end of its output, losing what it says on the way out.
   */
  public void sigterm() {
    process.toHandle().destroy();
  }

  /** SIGKILL: the process dies at once, saying nothing, closing nothing. */
  public void sigkill() {
    process.toHandle().destroyForcibly();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Every line so far. */
  public List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  public String output() {
    return String.join("\n", lines());
  }

  /** The status of GET url, or -1 when nothing answers. */
  public static int httpStatus(String url) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** A fresh temporary directory to run in (so that no {@code .env} or {@code .plank} is found). */
  public static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies a file or a directory tree; nothing when source does not exist. */
  public static void copyTree(Path source, Path target) {
    if (!Files.exists(source)) return;
    try (var paths = Files.walk(source)) {
      for (Path path : paths.toList()) {
        Path dest = target.resolve(source.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(dest);
        } else {
          Files.createDirectories(dest.getParent());
          Files.copy(path, dest, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes a directory made by {@link #tempDir}, with everything in it. */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return;
    try (var paths = Files.walk(dir)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the process and everything it started (npm runs its script through a shell). */
  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
