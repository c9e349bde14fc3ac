package dev.plank.build;

import dev.plank.support.PlankProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The repository under test ({@code plank.basedir}), and a copy of it in which a test may run a
 * build of its own without touching the build that runs the test.
 */
final class ProjectCopy {
  private ProjectCopy() {}

  static Path basedir() {
    return Path.of(System.getProperty("plank.basedir", ".")).toAbsolutePath().normalize();
  }

  /** {@code mvn} from the Maven that runs this build, else from the PATH. */
  static String mvn() {
    String home = System.getProperty("maven.home");
    if (home != null && Files.isExecutable(Path.of(home, "bin", "mvn"))) {
      return Path.of(home, "bin", "mvn").toString();
    }
    return "mvn";
  }

  /**
   * Copies what a build reads (pom, sources, the dashboard and client files) and the previous
   * build's output, timestamps kept, so that a build in the copy is incremental, as a developer's
   * second {@code mvn package} is.
   */
  static Path incrementalCopy(Path to) {
    Path from = basedir();
    for (String part :
        List.of(
            "pom.xml",
            "src/main",
            "frontend/src",
            "frontend/dist",
            "clients/js/plank-client.js",
            "clients/js/plank-client.d.ts",
            "target/classes",
            "target/generated-sources",
            "target/maven-archiver",
            "target/maven-status/maven-compiler-plugin/compile")) {
      copy(from.resolve(part), to.resolve(part));
    }
    try (Stream<Path> jars = Files.list(from.resolve("target"))) {
      for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
        copy(jar, to.resolve("target").resolve(jar.getFileName()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // The compiler's record of its inputs holds absolute paths: the copy's are its own.
    try (Stream<Path> lists =
        Files.walk(to.resolve("target/maven-status")).filter(p -> p.toString().endsWith(".lst"))) {
      for (Path list : lists.toList()) {
        String text = Files.readString(list).replace(from + "/", to + "/");
        Files.writeString(list, text);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return to;
  }

  /** Copies a file or a directory tree, timestamps kept; nothing when source does not exist. */
  static void copyTree(Path source, Path target) {
    copy(source, target);
  }

  private static void copy(Path source, Path target) {
    if (!Files.exists(source)) return;
    PlankProcess.copyTree(source, target);
    try {
      // Directories last, so that their times are the source's too.
      Files.setLastModifiedTime(target, Files.getLastModifiedTime(source));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
