package dev.plank.web;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the browser test can run, and if not, why, said where the person who runs the build
 * looks: the build's own output, not only the test's report file.
 */
final class BrowserSkip {
  private static final String APT = "apt-get install -y ";

  private BrowserSkip() {}

  /** Why the browser test cannot run, naming what is missing and how to install it; or null. */
  static String reason(Path chromium, Path chromedriver) {
    boolean browser = Files.isExecutable(chromium);
    boolean driver = Files.isExecutable(chromedriver);
    if (browser && driver) return null;
    String why;
    if (!browser && !driver) {
      why = "no Chromium at " + chromium + " and no chromedriver at " + chromedriver;
    } else if (!driver) {
      why = "Chromium is at " + chromium + " but there is no chromedriver at " + chromedriver;
    } else {
      why = "chromedriver is at " + chromedriver + " but there is no Chromium at " + chromium;
    }
    String install = (browser ? "" : "chromium ") + (driver ? "" : "chromium-driver");
    return "DashboardBrowserTest skipped: " + why + "; install with: " + APT + install.strip();
  }

  /**
   * Prints the reason on the test JVM's own stderr, past Surefire's redirection of System.out and
   * System.err to files, so that it shows among Maven's output.
   */
  static void tellTheBuild(String reason) {
    System.out.println(reason); // the report file, as before
    PrintStream console =
        new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    console.println("[WARNING] " + reason);
  }
}
