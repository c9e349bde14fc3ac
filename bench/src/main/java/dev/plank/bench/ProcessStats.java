package dev.plank.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Readers of Linux's {@code /proc}: CPU time, RSS and limits of a process, PostgreSQL's CPU time,
 * and which process listens on a TCP port. Linux only; elsewhere the readers answer "unknown".
 */
final class ProcessStats {
  /**
   * Clock ticks per second of the tick fields in /proc/PID/stat. This is USER_HZ, which the kernel
   * fixes at 100 for user space on every architecture Linux supports, whatever CONFIG_HZ is.
   */
  static final double CLK_TCK = 100.0;

  private static final Path PROC = Path.of("/proc");

  private ProcessStats() {}

  /** utime + stime of a process, in ticks; empty when it does not exist (any more). */
  static OptionalLong cpuTicks(long pid) {
    long[] f = statFields(pid);
    return f == null ? OptionalLong.empty() : OptionalLong.of(f[0] + f[1]);
  }

  /** Resident set size (VmRSS) in bytes; empty when unknown. */
  static OptionalLong rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(PROC.resolve(pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          String kb = line.substring(6).trim().split("\\s+")[0];
          return OptionalLong.of(Long.parseLong(kb) * 1024);
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone, or not Linux
    }
    return OptionalLong.empty();
  }

  /** The soft limit on open files ("Max open files"); empty when unknown or unlimited. */
  static OptionalLong openFilesLimit(long pid) {
    try {
      for (String line : Files.readAllLines(PROC.resolve(pid + "/limits"))) {
        if (line.startsWith("Max open files")) {
          String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
          return soft.equals("unlimited")
              ? OptionalLong.empty()
              : OptionalLong.of(Long.parseLong(soft));
        }
      }
    } catch (IOException | RuntimeException e) {
      // unknown
    }
    return OptionalLong.empty();
  }

  /**
   * CPU ticks of the whole PostgreSQL cluster on this machine: every process whose command name is
   * {@code postgres} (postmaster, backends, checkpointer, WAL writer...). Each adds its own
   * utime+stime and the cutime+cstime of children it has reaped: a backend that exits during a run
   * thus moves from the first sum to the postmaster's second, and a delta over the run stays right.
   * Other databases of the same cluster count too: keep the machine quiet while measuring.
   */
  static PostgresCpu postgresCpu() {
    long ticks = 0;
    int processes = 0;
    for (long pid : postgresPids()) {
      long[] f = statFields(pid);
      if (f == null) continue;
      ticks += f[0] + f[1] + f[2] + f[3];
      processes++;
    }
    return new PostgresCpu(ticks, processes);
  }

  /**
   * utime+stime per pid of the PostgreSQL backends connected to one database, recognised by their
   * process title ({@code postgres: [cluster:] user database host(port) state}). Unlike {@link
   * #postgresCpu()} this leaves out other databases' work (and the shared background processes),
   * which makes it robust on a machine where something else uses the same cluster.
   */
  static Map<Long, Long> databaseBackendTicks(String database) {
    Map<Long, Long> ticks = new HashMap<>();
    if (database == null || database.isEmpty()) return ticks;
    for (long pid : postgresPids()) {
      String title;
      try {
        title = new String(Files.readAllBytes(PROC.resolve(pid + "/cmdline"))).replace('\0', ' ');
      } catch (IOException e) {
        continue;
      }
      if (!title.startsWith("postgres: ")) continue;
      // "postgres:", then the cluster name with its colon when cluster_name is set, the user,
      // the database. Background processes ("checkpointer", ...) have no database there.
      String[] words = title.trim().split("\\s+");
      int user = words.length > 1 && words[1].endsWith(":") ? 2 : 1;
      if (words.length <= user + 1 || !words[user + 1].equals(database)) continue;
      long[] f = statFields(pid);
      if (f != null) ticks.put(pid, f[0] + f[1]);
    }
    return ticks;
  }

  /** Every process id in /proc; empty where there is no /proc. */
  private static List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path dir : dirs) {
        try {
          pids.add(Long.parseLong(dir.getFileName().toString()));
        } catch (NumberFormatException e) {
          // not a process
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return pids;
  }

  /** The processes whose command name is {@code postgres}: postmaster, backends, workers. */
  private static List<Long> postgresPids() {
    return pids().stream().filter(pid -> "postgres".equals(comm(pid))).toList();
  }

  /** Sum of CPU ticks over the PostgreSQL processes seen, and how many there were. */
  record PostgresCpu(long ticks, int processes) {}

  /**
   * The process listening on a TCP port: the socket's inode from /proc/net/tcp{,6}, then the
   * process holding a file descriptor on that socket. Needs permission to read other processes' fd
   * tables (same user, or root).
   */
  static OptionalLong findListener(int port) {
    String inode = listeningInode(port);
    if (inode == null) return OptionalLong.empty();
    String target = "socket:[" + inode + "]";
    long self = ProcessHandle.current().pid();
    for (long pid : pids()) {
      if (pid == self) continue;
      try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(pid + "/fd"))) {
        for (Path fd : fds) {
          try {
            if (Files.readSymbolicLink(fd).toString().equals(target)) {
              return OptionalLong.of(pid);
            }
          } catch (IOException e) {
            // fd closed meanwhile
          }
        }
      } catch (IOException | SecurityException e) {
        // not ours to read, or gone
      }
    }
    return OptionalLong.empty();
  }

  /** The ephemeral port range (net.ipv4.ip_local_port_range) as {low, high}; null if unknown. */
  static int[] ephemeralPorts() {
    try {
      String[] p =
          Files.readString(PROC.resolve("sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A line of /proc/meminfo, e.g. "MemTotal", in bytes; -1 when unknown. */
  static long meminfo(String key) {
    try {
      for (String line : Files.readAllLines(PROC.resolve("meminfo"))) {
        if (line.startsWith(key + ":")) {
          return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // unknown
    }
    return -1;
  }

  /** The CPU model from /proc/cpuinfo, or "unknown". */
  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(PROC.resolve("cpuinfo"))) {
        if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
      }
    } catch (IOException e) {
      // unknown
    }
    return "unknown";
  }

  private static String listeningInode(int port) {
    String hexPort = String.format(":%04X", port);
    for (String file : List.of("net/tcp", "net/tcp6")) {
      try {
        List<String> lines = Files.readAllLines(PROC.resolve(file));
        for (String line : lines.subList(1, lines.size())) {
          // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) return f[9];
        }
      } catch (IOException | RuntimeException e) {
        // no IPv6, or not Linux
      }
    }
    return null;
  }

  private static String comm(long pid) {
    try {
      return Files.readString(PROC.resolve(pid + "/comm")).trim();
    } catch (IOException e) {
      return null;
    }
  }

  /** {utime, stime, cutime, cstime} from /proc/PID/stat, or null. */
  private static long[] statFields(long pid) {
    String stat;
    try {
      stat = Files.readString(PROC.resolve(pid + "/stat"));
    } catch (IOException e) {
      return null;
    }
    // The command name (field 2) is in parentheses and may itself contain spaces or ')': the
    // fields that follow start after the last ')'. There, index 0 is field 3 (state), so fields
    // 14..17 (utime, stime, cutime, cstime) are at 11..14.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    try {
      return new long[] {
        Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])
      };
    } catch (RuntimeException e) {
      return null;
    }
  }
}
