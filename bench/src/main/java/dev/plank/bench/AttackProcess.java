package dev.plank.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An {@link Attack} run in a JVM of its own ({@link AttackCommand}), optionally under {@code nice}:
 * an attacker in the canary's JVM shares its safepoints, GC pauses and allocation with the canary's
 * measuring threads, which a client on another machine would not. Its counters arrive as lines on
 * its standard output; closing its standard input ends it.
 */
final class AttackProcess implements Attacker {
  private final Process process;
  private final AtomicReference<Attack.Stats> last =
      new AtomicReference<>(new Attack.Stats(0, 0, 0, 0, 0, 0, 0, null, null));
  private final Thread reader;
  private final BufferedReader in; // the process's stdout, read by the reader thread
  private volatile Duration cpu = Duration.ZERO;
  private Duration startCpu = Duration.ZERO; // the JVM's start-up, not the attack's

  AttackProcess(
      Attack.Kind kind,
      URI url,
      String channel,
      int connections,
      int threads,
      String source,
      double holdSeconds,
      int nice,
      String javaOptions) {
    List<String> cmd = new ArrayList<>();
    if (nice > 0) cmd.addAll(List.of("nice", "-n", String.valueOf(nice)));
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String o : javaOptions.trim().split("\\s+")) if (!o.isEmpty()) cmd.add(o);
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "attack",
            "--kind=" + kind.label,
            "--url=" + url,
            "--channel=" + channel,
            "--connections=" + connections,
            "--threads=" + threads,
            "--source=" + source,
            "--hold-seconds=" + holdSeconds));
    try {
      process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    } catch (IOException e) {
      throw new BenchException("could not start the attacker process: " + e.getMessage());
    }
    try {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String first = in.readLine();
      if (!"ready".equals(first)) {
        process.destroyForcibly();
        throw new BenchException("the attacker process did not start (it said " + first + ")");
      }
      this.in = in;
    } catch (IOException e) {
      process.destroyForcibly();
      throw new BenchException("the attacker process did not start: " + e.getMessage());
    }
    reader = new Thread(this::read, "attack-process-reader");
    reader.setDaemon(true);
  }

  @Override
  public void start() {
    startCpu = process.info().totalCpuDuration().orElse(Duration.ZERO);
    try {
      process.getOutputStream().write("go\n".getBytes(StandardCharsets.US_ASCII));
      process.getOutputStream().flush();
    } catch (IOException e) {
      throw new BenchException("the attacker process is gone: " + e.getMessage());
    }
    reader.start();
  }

  private void read() {
    try {
      String line;
      while ((line = in.readLine()) != null) {
        Attack.Stats s = decode(line);
        if (s != null) last.set(s);
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  @Override
  public Attack.Stats stats() {
    return last.get();
  }

  /** CPU time the attacker process used while attacking, known once it has been closed. */
  Duration cpu() {
    return cpu.minus(startCpu);
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      // Read the CPU time before the process is reaped; its final counters follow on stdout.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
      while (process.isAlive() && System.nanoTime() < deadline) {
        cpu = process.info().totalCpuDuration().orElse(cpu);
        process.waitFor(50, TimeUnit.MILLISECONDS);
      }
      if (process.isAlive()) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      reader.join(5000);
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  static String encode(Attack.Stats s) {
    return String.join(
        " ",
        "stats",
        String.valueOf(s.connects()),
        String.valueOf(s.connectFailures()),
        String.valueOf(s.sent()),
        String.valueOf(s.received()),
        String.valueOf(s.rateLimited()),
        String.valueOf(s.otherErrors()),
        String.valueOf(s.closes()),
        text(s.firstClose()),
        text(s.firstConnectFailure()));
  }

  private static String text(String s) {
    return s == null
        ? "-"
        : Base64.getUrlEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String untext(String s) {
    return s.equals("-")
        ? null
        : new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
  }

  static Attack.Stats decode(String line) {
    String[] f = line.split(" ");
    if (f.length != 10 || !f[0].equals("stats")) return null;
    return new Attack.Stats(
        Long.parseLong(f[1]),
        Long.parseLong(f[2]),
        Long.parseLong(f[3]),
        Long.parseLong(f[4]),
        Long.parseLong(f[5]),
        Long.parseLong(f[6]),
        Long.parseLong(f[7]),
        untext(f[8]),
        untext(f[9]));
  }

  @Override
  public String toString() {
    return "in process " + process.pid();
  }
}
