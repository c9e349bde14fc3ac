package dev.plank.cli;

import dev.plank.auth.TokenSigner;
import dev.plank.config.AuthSettings;
import dev.plank.config.ConfigException;
import dev.plank.config.Durations;
import dev.plank.config.Settings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code plank token}: signs an HS256 token with {@code PLANK_JWT_SECRET}, for development and
 * tests (production tokens come from the application's own login). Prints the token and nothing
 * else, so that {@code TOKEN=$(plank token …)} works.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description = "Print an HS256 token signed with PLANK_JWT_SECRET (for development and tests).")
final class TokenCommand implements Callable<Integer>, Main.EnvAware {
  @Mixin Main.CommonOptions common = new Main.CommonOptions();

  @Option(names = "--sub", description = "The subject claim 'sub' (a user id)")
  String sub;

  @Option(
      names = "--role",
      defaultValue = "authenticated",
      description = "The role (in PLANK_ROLE_CLAIM, default 'role'); default ${DEFAULT-VALUE}")
  String role;

  @Option(
      names = "--claim",
      paramLabel = "NAME=VALUE",
      description = "Another claim, as a string (repeatable)")
  List<String> claims = new ArrayList<>();

  @Option(
      names = "--ttl",
      defaultValue = "1h",
      description = "How long the token is valid: 30s, 15m, 1h, 7d; default ${DEFAULT-VALUE}")
  String ttl;

  private Map<String, String> env = Map.of();

  @Override
  public void env(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    Settings settings = common.settings(Map.of(), env);
    AuthSettings auth = settings.auth();
    if (auth.secret() == null) {
      throw new ConfigException(
          "plank token signs with " + AuthSettings.JWT_SECRET + ", which is not set");
    }
    Duration life = Durations.parse(ttl.strip());
    if (life == null || life.isZero()) {
      throw new ConfigException(
          "--ttl must be a duration such as 30s, 15m, 1h or 7d (got '" + ttl + "')");
    }
    long now = Instant.now().getEpochSecond();
    Map<String, Object> payload = new LinkedHashMap<>();
    for (String claim : claims) {
      int eq = claim.indexOf('=');
      if (eq <= 0) throw new ConfigException("--claim must be NAME=VALUE (got '" + claim + "')");
      payload.put(claim.substring(0, eq), claim.substring(eq + 1));
    }
    if (sub != null) payload.put("sub", sub);
    payload.put(auth.roleClaim(null), role);
    if (auth.issuer() != null) payload.put("iss", auth.issuer());
    if (auth.audience() != null) payload.put("aud", auth.audience());
    payload.put("iat", now);
    payload.put("exp", now + life.toSeconds());
    System.out.println(TokenSigner.hs256(auth.secret(), payload));
    return 0;
  }
}
