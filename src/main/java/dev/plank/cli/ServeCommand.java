package dev.plank.cli;

import dev.plank.Plank;
import dev.plank.config.Settings;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code plank serve}: runs the node until SIGTERM or SIGINT, then shuts down gracefully. */
@Command(name = "serve", description = "Run the Plank server (the default command).")
final class ServeCommand implements java.util.concurrent.Callable<Integer>, Main.EnvAware {
  @Mixin Main.CommonOptions common = new Main.CommonOptions();

  @Option(names = "--host", description = "Address to listen on (PLANK_HOST, default 127.0.0.1)")
  String host;

  @Option(names = "--port", description = "Port to listen on (PLANK_PORT, default 8000)")
  String port;

  @Option(names = "--no-init", description = "Do not install the schema and triggers at start-up")
  boolean noInit;

  private Map<String, String> env = Map.of();

  @Override
  public void env(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws Exception {
    Map<String, String> flags = new HashMap<>();
    if (host != null) flags.put(Settings.HOST, host);
    if (port != null) flags.put(Settings.PORT, port);
    if (noInit) flags.put(Settings.INIT, "false");
    Settings settings = common.settings(flags, env);

    Plank plank;
    try {
      plank = Plank.start(settings).toCompletionStage().toCompletableFuture().get();
    } catch (java.util.concurrent.ExecutionException e) {
      System.err.println("plank: cannot start: " + rootMessage(e));
      return 1;
    }
    System.out.printf(
        "Plank listening on http://%s:%d (database: %s)%n",
        settings.host(), settings.port(), plank.describeDatabase());

    CountDownLatch stop = new CountDownLatch(1);
    int[] exit = {0};
    plank
        .databaseReady()
        .onSuccess(
            v ->
                System.out.println(
                    "Plank ready: capturing " + String.join(", ", settings.tables())))
        .onFailure(
            err -> {
              System.err.println("plank: " + err.getMessage());
              exit[0] = 1;
              stop.countDown();
            });
    Signal.handle(new Signal("TERM"), sig -> stop.countDown());
    Signal.handle(new Signal("INT"), sig -> stop.countDown());
    stop.await();
    System.out.println("Plank shutting down");
    plank.close();
    return exit[0];
  }

  private static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) cause = cause.getCause();
    return cause.getMessage();
  }
}
