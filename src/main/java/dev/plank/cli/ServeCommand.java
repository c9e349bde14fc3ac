package dev.plank.cli;

import dev.plank.Plank;
import dev.plank.config.AuthSettings;
import dev.plank.config.Settings;
import dev.plank.logging.LogSetup;
import java.net.BindException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code plank serve}: runs the node until SIGTERM or SIGINT, then shuts down gracefully.
 *
 * <p>Says "Plank listening on …" only once the node serves: HTTP is bound, the schema is in place
 * and the change source is live. A start that fails says one line on stderr and exits 1.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description = "Run the Plank server (the default command).")
final class ServeCommand implements Callable<Integer>, Main.EnvAware {
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
  public Integer call() throws InterruptedException {
    StopSignal stop = StopSignal.install();
    Settings settings = common.settings(flags(), env);
    LogSetup.apply(settings.deploy());
    // Secure defaults: refuse, as a one-line ConfigException (exit 2), before anything starts.
    String exposure = settings.auth().checkExposure(settings.host());

    Plank plank;
    try {
      plank = Plank.start(settings).toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      return failed(startFailure(settings, e.getCause()));
    } catch (RuntimeException e) { // the embedded database, which starts before anything else
      return failed("cannot start: " + rootMessage(e));
    }

    CompletableFuture<Void> ready = plank.databaseReady().toCompletionStage().toCompletableFuture();
    CompletableFuture.anyOf(ready, stop.requested()).exceptionally(e -> null).join();
    if (ready.isCompletedExceptionally()) {
      String reason = rootMessage(ready.handle((v, e) -> e).join());
      plank.close();
      return failed(reason);
    }
    if (!ready.isDone()) { // stopped while the database was being retried
      plank.close();
      return 0;
    }

    System.out.printf(
        "Plank listening on %s://%s:%d (database: %s; capturing %s)%n",
        settings.web().tls() ? "https" : "http",
        settings.host(),
        settings.port(),
        plank.describeDatabase(),
        String.join(", ", settings.tables()));
    if (exposure != null) {
      // Said right after "listening" (nothing comes before it): what anyone who reaches it gets.
      if (settings.auth().mode() == AuthSettings.Mode.NONE) {
        System.err.println("plank: warning: " + exposure);
      } else {
        System.out.println(exposure);
      }
    }
    stop.requested().join();
    System.out.println("Plank shutting down");
    plank.close();
    return 0;
  }

  private Map<String, String> flags() {
    Map<String, String> flags = new HashMap<>();
    if (host != null) flags.put(Settings.HOST, host);
    if (port != null) flags.put(Settings.PORT, port);
    if (noInit) flags.put(Settings.INIT, "false");
    return flags;
  }

  private static int failed(String line) {
    System.err.println("plank: " + line);
    return 1;
  }

  /** Why HTTP could not start, in the words a user acts on. */
  static String startFailure(Settings settings, Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      String message = String.valueOf(e.getMessage());
      // Netty's epoll transport reports EADDRINUSE as a NativeIoException, not a BindException.
      if (e instanceof BindException || message.contains("Address already in use")) {
        return "port " + settings.port() + " on " + settings.host() + " is in use";
      }
    }
    return "cannot listen on "
        + settings.host()
        + ":"
        + settings.port()
        + ": "
        + rootMessage(error);
  }

  private static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) cause = cause.getCause();
    return cause.getMessage();
  }
}
