package dev.plank.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The attacker of the abuse scenario as a process of its own ({@link AttackProcess} starts it): it
 * attacks until its standard input ends, printing its counters as one line every 100 ms and once at
 * the end. Not meant to be run by hand.
 */
@Command(name = "attack", hidden = true, description = "An abuse attacker (started by abuse).")
final class AttackCommand implements Callable<Integer> {
  @Option(names = "--kind", required = true)
  String kind;

  @Option(names = "--url", required = true)
  URI url;

  @Option(names = "--channel", defaultValue = "")
  String channel;

  @Option(names = "--connections", defaultValue = "1")
  int connections;

  @Option(names = "--threads", defaultValue = "1")
  int threads;

  @Option(names = "--source", defaultValue = "")
  String source;

  @Option(names = "--hold-seconds", defaultValue = "5")
  double holdSeconds;

  @Override
  public Integer call() throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Attack attack =
        new Attack(Attack.Kind.of(kind), url, channel, connections, threads, source, holdSeconds);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    out.println("ready");
    if (!"go".equals(in.readLine())) {
      attack.close();
      return 0;
    }
    attack.start();
    Thread reporter =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  out.println(AttackProcess.encode(attack.stats()));
                  Thread.sleep(100);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "attack-stats");
    reporter.setDaemon(true);
    reporter.start();
    waitForEof(in);
    reporter.interrupt();
    attack.close();
    out.println(AttackProcess.encode(attack.stats()));
    return 0;
  }

  private static void waitForEof(BufferedReader in) {
    try {
      while (in.readLine() != null) {
        // the parent writes nothing; the stream ends when it wants the attack over
      }
    } catch (IOException e) {
      // the parent is gone: stop as well
    }
  }
}
