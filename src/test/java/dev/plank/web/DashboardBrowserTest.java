package dev.plank.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plank.support.TestPlank;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard at {@code /} in a real browser (Debian's headless Chromium), against a whole Plank
 * node and PostgreSQL: rows written with plain SQL show up in the table within a second, the form
 * writes through the REST API, and the filter box re-subscribes with the protocol's filter.
 * Screenshots (desktop and phone width, light and dark) go to {@code target/screenshots/}.
 */
class DashboardBrowserTest {
  // Debian's packages; -Dplank.chromium / -Dplank.chromedriver name others.
  private static final Path CHROMIUM =
      Path.of(System.getProperty("plank.chromium", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getProperty("plank.chromedriver", "/usr/bin/chromedriver"));

  /** How soon a committed change must be on screen. */
  private static final Duration LIVE = Duration.ofSeconds(1);

  /** Why the tests are skipped, or null when the browser is there. */
  private static String skipReason;

  private static TestPlank plank;
  private static ChromeDriver driver;
  private static Path profile;

  @BeforeAll
  static void start() throws IOException {
    skipReason = BrowserSkip.reason(CHROMIUM, CHROMEDRIVER);
    if (skipReason != null) {
      BrowserSkip.tellTheBuild(skipReason);
      return; // each test is then skipped, with the reason
    }

    plank = TestPlank.start(DashboardBrowserTest.class);
    profile = Files.createTempDirectory("plank-chromium");
    // Both paths are explicit, so Selenium never looks for (or downloads) a browser or driver.
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--hide-scrollbars",
        "--user-data-dir=" + profile);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
    driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
  }

  @AfterAll
  static void stop() throws IOException {
    if (driver != null) driver.quit();
    if (plank != null) plank.close();
    if (profile != null) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  @BeforeEach
  void emptyTableAndOpenPage() {
    Assumptions.assumeTrue(skipReason == null, skipReason);
    plank
        .db()
        .execute(
            // Without the TRUNCATE trigger: its resync would reach the next test's subscriber.
            "SET session_replication_role = replica; TRUNCATE public.items RESTART IDENTITY");
    colorScheme("light");
    open("/");
  }

  @AfterEach
  void noConsoleErrors() {
    if (driver == null) return;
    List<String> errors =
        driver.manage().logs().get(LogType.BROWSER).getAll().stream()
            .filter(entry -> entry.getLevel().intValue() >= Level.WARNING.intValue())
            .map(LogEntry::getMessage)
            // The browser's own network log of the 422 that the form test provokes on purpose.
            .filter(message -> !message.contains("the server responded with a status of 422"))
            .toList();
    assertThat(errors).as("browser console warnings and errors").isEmpty();
  }

  @Test
  void showsEveryChangeMadeWithPlainSqlWithinASecond() {
    long started = System.nanoTime();
    long id = insert("written by psql", 7);
    WebElement row = waitLive(row(id));
    long inserted = System.nanoTime();
    assertThat(cell(id, "name").getText()).isEqualTo("written by psql");
    assertThat(cell(id, "value").getText()).isEqualTo("7");
    assertThat(row.getAttribute("data-flash")).isEqualTo("insert");

    plank
        .db()
        .execute("UPDATE public.items SET name = ?, value = ? WHERE id = ?", "renamed", 8, id);
    waitLive(ExpectedConditions.textToBe(cellBy(id, "name"), "renamed"));
    long updated = System.nanoTime();
    assertThat(cell(id, "value").getText()).isEqualTo("8");

    long deleting = System.nanoTime();
    plank.db().execute("DELETE FROM public.items WHERE id = ?", id);
    waitLive(ExpectedConditions.numberOfElementsToBe(liveRow(id), 0));
    System.out.printf(
        "SQL write to screen, including the JDBC round trip and polling: INSERT %d ms, UPDATE %d"
            + " ms, DELETE %d ms%n",
        (inserted - started) / 1_000_000,
        (updated - inserted) / 1_000_000,
        (System.nanoTime() - deleting) / 1_000_000);

    // The event log lists the three changes, newest first, with their seq.
    List<String> log =
        driver.findElements(By.cssSelector("#events li[data-seq]")).stream()
            .map(li -> li.getAttribute("data-type"))
            .toList();
    assertThat(log).containsExactly("DELETE", "UPDATE", "INSERT");
    assertThat(driver.findElement(By.id("received")).getText()).isEqualTo("3");
    assertThat(driver.findElement(By.id("connection")).getAttribute("data-state"))
        .isEqualTo("open");
  }

  @Test
  void createsEditsAndDeletesItemsThroughTheForm() {
    WebElement name = driver.findElement(By.id("item-name"));
    WebElement value = driver.findElement(By.id("item-value"));

    // Refused input is explained next to its field.
    value.sendKeys("99999999999");
    name.sendKeys("too big", Keys.ENTER);
    WebElement valueError =
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("item-value-error")));
    assertThat(valueError.getText()).containsIgnoringCase("integer");
    assertThat(value.getAttribute("aria-invalid")).isEqualTo("true");

    value.clear();
    value.sendKeys("42");
    name.clear();
    name.sendKeys("made in the form", Keys.ENTER);
    long id = waitFor(d -> idOf("made in the form"));
    assertThat(plank.db().query("SELECT name, value FROM public.items WHERE id = ?", id))
        .containsExactly(Map.of("name", "made in the form", "value", 42));
    assertThat(driver.findElement(By.id("item-status")).getText())
        .isEqualTo("Item " + id + " added.");

    // Edit: the row's button fills the form; Enter saves.
    driver.findElement(By.cssSelector("tr[data-id='" + id + "'] button[data-action=edit]")).click();
    assertThat(driver.switchTo().activeElement()).isEqualTo(name);
    value.clear();
    value.sendKeys("43", Keys.ENTER);
    waitLive(ExpectedConditions.textToBe(cellBy(id, "value"), "43"));
    assertThat(plank.db().count("SELECT value FROM public.items WHERE id = ?", id)).isEqualTo(43L);

    driver
        .findElement(By.cssSelector("tr[data-id='" + id + "'] button[data-action=delete]"))
        .click();
    waitLive(ExpectedConditions.numberOfElementsToBe(liveRow(id), 0));
    assertThat(plank.db().count("SELECT count(*) FROM public.items")).isZero();
  }

  @Test
  void theFilterBoxResubscribesAndOnlyMatchingRowsUpdate() {
    long low = insert("low", 5);
    long high = insert("high", 50);
    waitLive(row(high));
    waitLive(row(low));

    WebElement filter = driver.findElement(By.id("filter"));
    filter.sendKeys("value=gt.10", Keys.ENTER);
    waitFor(d -> "value=gt.10".equals(body("data-filter")) && "live".equals(body("data-view")));
    assertThat(driver.findElements(liveRow(low))).isEmpty();
    assertThat(driver.findElements(liveRow(high))).hasSize(1);

    // Both rows change; only the one that matches the filter shows it. The server sends changes
    // in commit order, so once the later one is on screen the earlier one would be too.
    plank.db().execute("UPDATE public.items SET name = 'low, changed' WHERE id = ?", low);
    plank.db().execute("UPDATE public.items SET name = 'high, changed' WHERE id = ?", high);
    waitLive(ExpectedConditions.textToBe(cellBy(high, "name"), "high, changed"));
    assertThat(driver.findElements(liveRow(low))).isEmpty();

    long newLow = insert("new low", 1);
    long newHigh = insert("new high", 11);
    waitLive(row(newHigh));
    assertThat(driver.findElements(liveRow(newLow))).isEmpty();

    // An update that takes a row out of the filter takes it off the table.
    plank.db().execute("UPDATE public.items SET value = 3 WHERE id = ?", high);
    waitLive(ExpectedConditions.numberOfElementsToBe(liveRow(high), 0));

    // A filter the server refuses is explained; the previous one stays in effect.
    filter.clear();
    filter.sendKeys("value=like.1", Keys.ENTER);
    WebElement error =
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("filter-error")));
    assertThat(error.getText()).contains("like");
    assertThat(body("data-filter")).isEqualTo("value=gt.10");
    insert("still filtered", 2);
    long stillLive = insert("still live", 99);
    waitLive(row(stillLive));
    assertThat(driver.findElements(By.xpath("//td[.='still filtered']"))).isEmpty();

    // Escape clears the filter: every row is back.
    filter.sendKeys(Keys.ESCAPE);
    waitFor(d -> "".equals(body("data-filter")) && "live".equals(body("data-view")));
    assertThat(driver.findElements(By.cssSelector("#items-body tr:not([data-leaving])")))
        .hasSize(6);
    assertThat(driver.getCurrentUrl()).doesNotContain("filter=");
  }

  @Test
  void screenshotsDesktopAndPhoneInLightAndDark() throws IOException {
    String[][] items = {
      {"Espresso beans", "18"}, {"Oat milk", "4"}, {"Croissant", "3"}, {"Sourdough loaf", "7"},
      {"Blueberry muffin", "5"}, {"Cold brew", "6"}, {"Green tea", null}, {"Cinnamon roll", "4"}
    };
    long last = 0;
    for (String[] item : items) {
      last = insert(item[0], item[1] == null ? null : Integer.valueOf(item[1]));
    }
    waitLive(row(last));
    plank.db().execute("UPDATE public.items SET value = 21 WHERE name = 'Espresso beans'");
    plank.db().execute("DELETE FROM public.items WHERE name = 'Croissant'");
    plank.db().execute("INSERT INTO public.items (name, value) VALUES ('Matcha latte', 9)");
    long matcha = plank.db().count("SELECT id FROM public.items WHERE name = 'Matcha latte'");
    waitLive(row(matcha));

    Path dir = Path.of("target", "screenshots");
    Files.createDirectories(dir);
    for (String scheme : List.of("light", "dark")) {
      colorScheme(scheme);
      viewport(1280, 900, false);
      shot(dir.resolve("dashboard-desktop-" + scheme + ".png"));
      viewport(390, 844, true);
      shot(dir.resolve("dashboard-phone-" + scheme + ".png"));
    }
    driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
    assertThat(dir.resolve("dashboard-phone-dark.png")).isNotEmptyFile();
  }

  @Test
  void aFirstLoadIsNotAReconnectAndLoadsTheItemsOnce() {
    String script = recordPageTraffic();
    try {
      open("/");
      // A change on screen: the subscription is settled, any reload it caused has started.
      long id = insert("after the first load", 1);
      waitLive(row(id));
      assertThat(pageTraffic("fetches"))
          .as("REST requests for the items on a first load")
          .filteredOn(url -> url.contains("/api/items"))
          .hasSize(1);
      assertThat(pageTraffic("subscribes")).hasSize(1);
      assertThat(logNotes()).doesNotContain("Reconnected · reloading the items");
    } finally {
      driver.executeCdpCommand(
          "Page.removeScriptToEvaluateOnNewDocument", Map.of("identifier", script));
    }
  }

  @Test
  void aChannelTheServerDoesNotCaptureIsExplainedAndNotRetried() {
    dev.plank.config.DatabaseUrl database =
        dev.plank.support.TestDatabases.create(DashboardBrowserTest.class);
    new dev.plank.support.TestDb(database)
        .execute("CREATE TABLE public.orders (id int PRIMARY KEY, total int)");
    String script = recordPageTraffic();
    try (TestPlank ordersOnly = TestPlank.start(database, Map.of("PLANK_TABLES", "orders"))) {
      driver.get(ordersOnly.httpUrl() + "/");
      try {
        assertRefusedOnce();
      } finally {
        driver.get("about:blank"); // before the server stops, so the page has nothing to retry
      }
    } finally {
      driver.executeCdpCommand(
          "Page.removeScriptToEvaluateOnNewDocument", Map.of("identifier", script));
    }
  }

  private static void assertRefusedOnce() {
    waitFor(
        ExpectedConditions.textMatches(
            By.id("items-empty"), java.util.regex.Pattern.compile(".*captured.*")));
    WebElement empty = driver.findElement(By.id("items-empty"));
    assertThat(empty.getText())
        .startsWith("items is not captured by this server: start Plank with PLANK_TABLES=items,");
    assertThat(body("data-view")).isEqualTo("refused");
    // Watched for 2 s: one refused subscribe, no retry loop (it once sent ~700 in 3 s).
    long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (System.nanoTime() < until) {
      assertThat(pageTraffic("subscribes")).as("subscribe requests sent").hasSizeLessThan(2);
      assertThat(empty.getText()).doesNotContain("Waiting for the server");
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
    assertThat(pageTraffic("subscribes")).hasSize(1);
  }

  @Test
  void aRefusedSubmitClearsTheEarlierStatus() {
    WebElement name = driver.findElement(By.id("item-name"));
    name.sendKeys("first", Keys.ENTER);
    long id = waitFor(d -> idOf("first"));
    WebElement status = driver.findElement(By.id("item-status"));
    assertThat(status.getText()).isEqualTo("Item " + id + " added.");

    name.sendKeys(Keys.ENTER); // the form was reset: an empty name
    WebElement nameError =
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("item-name-error")));
    assertThat(nameError.getText()).isEqualTo("Enter a name.");
    assertThat(status.getText()).isEmpty();
  }

  @Test
  void docsRenderSwaggerUiUnderTheContentSecurityPolicy() throws Exception {
    // The page is served with the strict policy (no inline script or style, nothing from
    // elsewhere)...
    java.net.http.HttpResponse<String> page =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(plank.httpUrl() + "/docs"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'");

    // ...and Swagger UI still renders every operation, styled, with no violation in the log.
    driver.get(plank.httpUrl() + "/docs");
    WebElement title =
        waitFor(
            ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector(".swagger-ui .info .title")));
    assertThat(title.getText()).contains("Plank");
    waitFor(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector(".opblock"), 3));
    // The stylesheet applied: Swagger UI's own font, not the browser's default serif.
    assertThat(title.getCssValue("font-family")).contains("sans-serif");
    driver.findElements(By.cssSelector(".opblock-summary")).get(0).click();
    waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".opblock-body")));
    List<String> violations =
        driver.manage().logs().get(LogType.BROWSER).getAll().stream()
            .map(LogEntry::getMessage)
            .filter(m -> m.contains("Content Security Policy") || m.contains("Refused to"))
            .toList();
    assertThat(violations).as("CSP violations on /docs").isEmpty();
  }

  // ---- helpers ---------------------------------------------------------------------------

  /**
   * From the next page load on, records the page's REST requests and WebSocket subscribes (in
   * {@code window.plankTest}); answers the script's id, to remove it after the test.
   */
  private static String recordPageTraffic() {
    String source =
        """
        (() => {
        window.plankTest = { fetches: [], subscribes: [] };
        const fetch0 = window.fetch;
        window.fetch = function (input, init) {
          window.plankTest.fetches.push(String(input && input.url ? input.url : input));
          return fetch0.apply(this, arguments);
        };
        const send0 = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
          try {
            const message = JSON.parse(data);
            if (message.action === 'subscribe') window.plankTest.subscribes.push(data);
          } catch (e) {}
          return send0.apply(this, arguments);
        };
        })();
        """;
    return (String)
        driver
            .executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", source))
            .get("identifier");
  }

  @SuppressWarnings("unchecked")
  private static List<String> pageTraffic(String kind) {
    return (List<String>) driver.executeScript("return window.plankTest." + kind + ".slice()");
  }

  /** The notes in the event log ("Reconnected · reloading the items", …). */
  private static List<String> logNotes() {
    return driver.findElements(By.cssSelector("#events li.note")).stream()
        .map(WebElement::getText)
        .toList();
  }

  private static void open(String path) {
    driver.get(plank.httpUrl() + path);
    waitFor(d -> "live".equals(body("data-view")));
  }

  private static long insert(String name, Integer value) {
    List<Map<String, Object>> rows =
        plank
            .db()
            .query(
                "INSERT INTO public.items (name, value) VALUES (?, ?) RETURNING id", name, value);
    return ((Number) rows.get(0).get("id")).longValue();
  }

  private static String body(String attribute) {
    return driver.findElement(By.tagName("body")).getAttribute(attribute);
  }

  /** A shown row (a deleted row fading out no longer counts). */
  private static By liveRow(long id) {
    return By.cssSelector("#items-body tr[data-id='" + id + "']:not([data-leaving])");
  }

  private static org.openqa.selenium.support.ui.ExpectedCondition<WebElement> row(long id) {
    return ExpectedConditions.presenceOfElementLocated(liveRow(id));
  }

  private static By cellBy(long id, String column) {
    return By.cssSelector("#items-body tr[data-id='" + id + "'] td[data-col='" + column + "']");
  }

  private static WebElement cell(long id, String column) {
    return driver.findElement(cellBy(id, column));
  }

  private static Long idOf(String name) {
    List<WebElement> cells =
        driver.findElements(By.xpath("//tbody[@id='items-body']/tr/td[.='" + name + "']"));
    if (cells.isEmpty()) return null;
    return Long.valueOf(cells.get(0).findElement(By.xpath("..")).getAttribute("data-id"));
  }

  /** Waits at most {@link #LIVE}: the time a change may take from commit to screen. */
  private static <T> T waitLive(
      java.util.function.Function<? super org.openqa.selenium.WebDriver, T> condition) {
    return new WebDriverWait(driver, LIVE, Duration.ofMillis(10)).until(condition);
  }

  /** Waits for something that is not a live change (page load, a REST round trip). */
  private static <T> T waitFor(
      java.util.function.Function<? super org.openqa.selenium.WebDriver, T> condition) {
    return new WebDriverWait(driver, Duration.ofSeconds(10), Duration.ofMillis(20))
        .until(condition);
  }

  private static void colorScheme(String scheme) {
    driver.executeCdpCommand(
        "Emulation.setEmulatedMedia",
        Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
  }

  private static void viewport(int width, int height, boolean mobile) {
    driver.executeCdpCommand(
        "Emulation.setDeviceMetricsOverride",
        Map.of(
            "width",
            width,
            "height",
            height,
            "deviceScaleFactor",
            mobile ? 2 : 1,
            "mobile",
            mobile));
  }

  private static void shot(Path file) throws IOException {
    // Let the highlight animations finish, so the picture shows the resting state.
    waitFor(d -> driver.findElements(By.cssSelector("[data-flash], [data-leaving]")).isEmpty());
    Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
  }
}
