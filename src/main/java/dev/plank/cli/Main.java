package dev.plank.cli;

import dev.plank.config.ConfigException;
import dev.plank.config.DotEnv;
import dev.plank.config.Settings;
import dev.plank.config.UnknownSettings;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code plank [serve|init|uninstall|slot drop|token] [flags]}: the jar's entry point. */
@Command(
    name = "plank",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description = "Real-time PostgreSQL changes over WebSocket.",
    subcommands = {
      ServeCommand.class,
      InitCommand.class,
      UninstallCommand.class,
      SlotCommand.class,
      TokenCommand.class
    })
public final class Main implements Runnable {
  static final String VERSION = "plank 0.1.0";

  public static void main(String[] args) {
    System.exit(run(args, System.getenv()));
  }

  /** Runs a command line and answers the exit code; {@code serve} is the default command. */
  public static int run(String[] args, Map<String, String> env) {
    String[] effective = args;
    if (args.length == 0 || (args[0].startsWith("-") && !isTopLevelFlag(args[0]))) {
      effective = new String[args.length + 1];
      effective[0] = "serve";
      System.arraycopy(args, 0, effective, 1, args.length);
    }
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (ex instanceof ConfigException) {
            System.err.println("plank: " + ex.getMessage());
            return 2;
          }
          throw ex;
        });
    Environment.set(cli, env);
    return cli.execute(effective);
  }

  private static boolean isTopLevelFlag(String arg) {
    return arg.equals("-h") || arg.equals("--help") || arg.equals("-V") || arg.equals("--version");
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** Flags shared by every command; each overrides the environment variable it names. */
  static final class CommonOptions {
    @Option(names = "--database-url", description = "PostgreSQL URL (DATABASE_URL)")
    String databaseUrl;

    @Option(names = "--tables", description = "Tables to capture, comma-separated (PLANK_TABLES)")
    String tables;

    @Option(
        names = "--demo",
        description =
            "Create the demo table public.items if missing (PLANK_DEMO; the embedded database"
                + " always has it)")
    boolean demo;

    Map<String, String> flags() {
      Map<String, String> flags = new HashMap<>();
      if (databaseUrl != null) flags.put(Settings.DATABASE_URL, databaseUrl);
      if (tables != null) flags.put(Settings.TABLES, tables);
      if (demo) flags.put(Settings.DEMO, "true");
      return flags;
    }

    /** The settings; a misspelt PLANK_ name is a warning line on stderr, start-up goes on. */
    Settings settings(Map<String, String> extraFlags, Map<String, String> env) {
      Map<String, String> flags = flags();
      flags.putAll(extraFlags);
      DotEnv dotEnv = DotEnv.read(Path.of(".env"));
      for (String warning : UnknownSettings.warnings(dotEnv, env)) {
        System.err.println("plank: warning: " + warning);
      }
      return Settings.load(flags, env, dotEnv.values());
    }
  }

  /** The environment a command reads; tests pass their own. */
  static final class Environment {
    private Environment() {}

    static void set(CommandLine cli, Map<String, String> env) {
      for (CommandLine sub : cli.getSubcommands().values()) {
        Object command = sub.getCommand();
        if (command instanceof EnvAware aware) aware.env(env);
        if (command instanceof SlotCommand) SlotCommand.env(sub, env);
      }
    }
  }

  interface EnvAware {
    void env(Map<String, String> env);
  }
}
