package dev.k3sbackup.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The node's K3s server processes, as its {@code /proc} shows them (the agent has hostPID). */
@FunctionalInterface
public interface ProcessTable {

  /** The process ids of {@code k3s server} processes now running. */
  List<Long> k3sServers();

  /** The processes of the {@code /proc} at {@code proc}. */
  static ProcessTable of(Path proc) {
    return () -> {
      List<Long> found = new ArrayList<>();
      try (Stream<Path> entries = Files.list(proc)) {
        for (Path p : entries.filter(e -> e.getFileName().toString().matches("\\d+")).toList()) {
          if (isK3sServer(read(p.resolve("cmdline")))) {
            found.add(Long.parseLong(p.getFileName().toString()));
          }
        }
      } catch (IOException e) {
        throw new RestoreException("cannot read " + proc + " to see whether K3s stopped: "
            + e.getMessage());
      }
      return found;
    };
  }

  /** Whether a NUL-separated command line is K3s's server (not a reset run by a restore). */
  static boolean isK3sServer(String cmdline) {
    String[] argv = cmdline.split("\0");
    if (argv.length < 2) {
      return false;
    }
    String exe = argv[0].substring(argv[0].lastIndexOf('/') + 1);
    return exe.equals("k3s") && argv[1].equals("server")
        && !List.of(argv).contains("--cluster-reset");
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return ""; // gone meanwhile
    }
  }
}
