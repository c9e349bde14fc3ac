package dev.plank.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.PlankProcess;
import dev.plank.support.TestPlank;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dashboard's development commands, run exactly as {@code frontend/README.md} gives them, in a
 * copy of the repository's {@code frontend/} and {@code clients/js/}: {@code npm ci} installs bun
 * from npm, {@code npm run build} bundles the page with it, {@code npm run dev} serves the sources
 * and proxies the API to a Plank.
 */
class FrontendIT {
  private static Path copy;
  private static Path frontend;

  @BeforeAll
  @Timeout(240) // npm ci fetches bun (about 40 MB) when the npm cache does not have it
  static void install() throws Exception {
    copy = PlankProcess.tempDir("plank-frontend");
    frontend = copy.resolve("frontend");
    Path from = ProjectCopy.basedir();
    for (String file : List.of("package.json", "package-lock.json", "scripts", "src")) {
      ProjectCopy.copyTree(from.resolve("frontend").resolve(file), frontend.resolve(file));
    }
    ProjectCopy.copyTree(from.resolve("clients/js"), copy.resolve("clients/js"));
    run(Duration.ofSeconds(220), "npm", "ci", "--no-audit", "--no-fund");
  }

  @AfterAll
  static void delete() {
    if (copy != null) PlankProcess.deleteTree(copy);
  }

  @Test
  void theReadmeGivesTheCommandsThatWork() throws Exception {
    String readme = Files.readString(ProjectCopy.basedir().resolve("frontend/README.md"));
    assertThat(readme).contains("npm ci", "npm run dev", "npm run build");
    // A bare `bun …` needs bun on the PATH, which npm ci does not give.
    assertThat(readme.lines().filter(l -> l.strip().startsWith("bun "))).isEmpty();
  }

  @Test
  @Timeout(120)
  void npmRunBuildBundlesThePageWithTheClient() throws Exception {
    run(Duration.ofSeconds(100), "npm", "run", "build");
    Path dist = frontend.resolve("dist");
    String html = Files.readString(dist.resolve("index.html"));
    Matcher script = Pattern.compile("<script[^>]+src=\"\\.?/?([^\"]+\\.js)\"").matcher(html);
    assertThat(script.find()).as(html).isTrue();
    String bundle = Files.readString(dist.resolve(script.group(1)));
    assertThat(bundle)
        .as("the client is in the bundle")
        .contains("resync")
        .hasSizeGreaterThan(5000);
    assertThat(bundle).doesNotContain("plank-client.js");
  }

  @Test
  @Timeout(90)
  void npmRunDevServesTheSourcesAndProxiesTheApi() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (TestPlank plank = TestPlank.start(FrontendIT.class);
        PlankProcess dev =
            PlankProcess.start(
                List.of("npm", "run", "dev"),
                frontend,
                Map.of("PORT", "" + port, "PLANK_BACKEND", plank.httpUrl()))) {
      dev.awaitLine(l -> l.startsWith("Plank dashboard (dev)"), Duration.ofSeconds(60));
      HttpClient http = HttpClient.newHttpClient();
      String page = get(http, "http://127.0.0.1:" + port + "/").body();
      assertThat(page).contains("__dev/reload");
      HttpResponse<String> items = get(http, "http://127.0.0.1:" + port + "/api/items");
      assertThat(items.statusCode()).as("%s%n%s", items.body(), dev.output()).isEqualTo(200);
      assertThat(items.body()).startsWith("[");
    }
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void run(Duration timeout, String... command) {
    try (PlankProcess process = PlankProcess.start(List.of(command), frontend, Map.of())) {
      assertThat(process.awaitExit(timeout))
          .as("%s failed:%n%s", String.join(" ", command), process.output())
          .isZero();
    }
  }
}
