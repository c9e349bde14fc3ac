package dev.plank.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Prints a report's Markdown tables and writes it as JSON under bench/results/. */
final class ResultWriter {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ResultWriter() {}

  static Path write(Bench bench, Report report, Instant started) {
    System.out.println();
    for (Report.MarkdownTable table : report.tables) {
      if (table.title() != null) System.out.println(table.title());
      System.out.print(markdown(table.rows()));
      System.out.println();
    }
    Path dir = bench.options.resultsDir != null ? bench.options.resultsDir : defaultDir();
    Path file = dir.resolve(report.scenario + "-" + STAMP.format(started) + ".json");
    try {
      Files.createDirectories(dir);
      JSON.writeValue(file.toFile(), json(bench, report, started));
    } catch (IOException e) {
      throw new BenchException("could not write " + file + ": " + e.getMessage(), e);
    }
    System.out.println("results: " + file);
    return file;
  }

  /** Header, separator and rows of a Markdown table. */
  static String markdown(List<Map<String, String>> rows) {
    if (rows.isEmpty()) return "";
    StringBuilder out = new StringBuilder();
    List<String> columns = List.copyOf(rows.get(0).keySet());
    out.append("| ").append(String.join(" | ", columns)).append(" |\n");
    out.append("|").append(" --- |".repeat(columns.size())).append('\n');
    for (Map<String, String> row : rows) {
      out.append("|");
      for (String c : columns) out.append(' ').append(row.getOrDefault(c, "")).append(" |");
      out.append('\n');
    }
    return out.toString();
  }

  private static Map<String, Object> json(Bench bench, Report report, Instant started) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("scenario", report.scenario);
    root.put("started", started.toString());
    root.put("finished", Instant.now().toString());
    root.put("machine", machine());
    Map<String, Object> target = new LinkedHashMap<>();
    target.put("url", bench.url.toString());
    target.put("server_pid", bench.server.pid());
    if (bench.urls.size() > 1) {
      target.put("urls", bench.urls.stream().map(Object::toString).toList());
      target.put("server_pids", bench.servers.stream().map(PlankServer::pid).toList());
    }
    target.put("database_url", bench.redactedDatabaseUrl());
    target.put("table", bench.table.toString());
    root.put("target", target);
    root.put("params", report.params);
    root.put("results", report.results);
    root.put("tables", report.tables);
    return root;
  }

  private static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("memory_bytes", ProcessStats.meminfo("MemTotal"));
    m.put("cpu", ProcessStats.cpuModel());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    return m;
  }

  /** bench/results beside the jar (bench/target/plank-bench.jar); ./bench/results otherwise. */
  private static Path defaultDir() {
    try {
      Path jar =
          Path.of(ResultWriter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path target = jar.getParent();
      if (target != null && target.getFileName().toString().equals("target")) {
        return target.resolveSibling("results");
      }
    } catch (URISyntaxException | RuntimeException e) {
      // fall through
    }
    return Path.of("bench", "results");
  }
}
