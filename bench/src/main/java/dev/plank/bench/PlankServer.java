package dev.plank.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The Plank server under test, which the user started: its HTTP endpoints (/health, /metrics) and
 * its process (CPU time, RSS, open-files limit) when its pid is known.
 */
final class PlankServer {
  private final URI url;
  private final Long pid;
  private final String pidSource;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private PlankServer(URI url, Long pid, String pidSource) {
    this.url = url;
    this.pid = pid;
    this.pidSource = pidSource;
  }

  /** Checks that Plank answers at url and finds its pid (given, or the port's listener). */
  static PlankServer locate(URI url, Long givenPid) {
    PlankServer probe = new PlankServer(url, null, null);
    int status;
    try {
      status = probe.get("/health").statusCode();
    } catch (IOException e) {
      throw new BenchException(
          "Plank does not answer at "
              + url
              + " ("
              + e
              + "). Start it first, e.g.: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres"
              + " java -jar target/plank.jar   (or pass --url)");
    }
    if (status != 200) throw new BenchException(url + "/health answered " + status);
    if (givenPid != null) {
      if (ProcessStats.cpuTicks(givenPid).isEmpty()) {
        throw new BenchException("--pid " + givenPid + ": no such process in /proc");
      }
      return new PlankServer(url, givenPid, "--pid");
    }
    OptionalLong found = ProcessStats.findListener(Bench.port(url));
    if (found.isPresent()) {
      return new PlankServer(url, found.getAsLong(), "listener of port " + Bench.port(url));
    }
    return new PlankServer(url, null, "not found");
  }

  URI url() {
    return url;
  }

  /** The pid, or null when unknown (server CPU and RSS are then reported as "-"). */
  Long pid() {
    return pid;
  }

  String pidSource() {
    return pidSource;
  }

  /** VmRSS in bytes, or -1 when unknown. */
  long rssBytes() {
    return pid == null ? -1 : ProcessStats.rssBytes(pid).orElse(-1);
  }

  /** Prometheus text from /metrics. */
  String metrics() {
    try {
      HttpResponse<String> r = get("/metrics");
      if (r.statusCode() != 200) {
        throw new BenchException(
            "/metrics answered "
                + r.statusCode()
                + (r.statusCode() == 401 || r.statusCode() == 404
                    ? " (a server not bound to loopback needs PLANK_METRICS_TOKEN in the bench's"
                        + " environment too)"
                    : ""));
      }
      return r.body();
    } catch (IOException e) {
      throw new BenchException("/metrics failed: " + e, e);
    }
  }

  /**
   * Used Java heap in bytes: the sum of {@code jvm_memory_used_bytes{area="heap",...}} over the
   * heap pools (Eden, Survivor, Old Gen with G1) in /metrics; -1 when absent.
   */
  long heapUsedBytes() {
    return (long) sumMetric(metrics(), "jvm_memory_used_bytes", "area=\"heap\"");
  }

  /** A gauge or counter from /metrics (summed over its label sets); NaN when absent. */
  double metric(String name) {
    return sumMetric(metrics(), name, null);
  }

  static double sumMetric(String text, String name, String labelMustContain) {
    double sum = 0;
    boolean found = false;
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !line.startsWith(name)) continue;
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      String bare = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
      if (!bare.equals(name)) continue;
      if (labelMustContain != null && !series.contains(labelMustContain)) continue;
      sum += Double.parseDouble(line.substring(space + 1).trim());
      found = true;
    }
    return found ? sum : (labelMustContain == null ? Double.NaN : -1);
  }

  /**
   * Asks the server JVM for a full GC ({@code jcmd PID GC.run}, with the jcmd of the server's own
   * JDK), so that a heap reading counts live objects rather than garbage. Returns false when it
   * could not (no pid, no jcmd, another user's JVM).
   */
  boolean collectGarbage() {
    if (pid == null) return false;
    String jcmd = "jcmd";
    String java = ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElse(null);
    if (java != null) {
      Path sibling = Path.of(java).resolveSibling("jcmd");
      if (Files.isExecutable(sibling)) jcmd = sibling.toString();
    }
    try {
      Process p =
          new ProcessBuilder(jcmd, String.valueOf(pid), "GC.run")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  HttpResponse<String> get(String path) throws IOException {
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(30)).GET();
      // The server's /metrics token, when it has one (off loopback it needs one).
      String token = System.getenv("PLANK_METRICS_TOKEN");
      if (token != null && !token.isBlank()) {
        request.header("Authorization", "Bearer " + token.strip());
      }
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
