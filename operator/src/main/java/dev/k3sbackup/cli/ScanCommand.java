package dev.k3sbackup.cli;

import dev.k3sbackup.base.K3sConfig;
import dev.k3sbackup.base.K3sServiceUnit;
import dev.k3sbackup.base.K3sSnapshotSchedule;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.NodeScanReport;
import dev.k3sbackup.storage.LocalSnapshotDir;
import dev.k3sbackup.storage.StoredSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code scan}: what the operator's periodic node scan needs from one server node, read-only:
 * the snapshot files in each {@code --dir}, and whether K3s takes its own scheduled snapshots
 * there, from K3s's config file and drop-ins (the one {@code K3S_CONFIG_FILE} or the unit's
 * {@code --config} names, else {@value K3sConfig#DEFAULT_FILE}) and the k3s unit's command line.
 */
@Command(name = "scan", mixinStandardHelpOptions = true,
    description = "Report the snapshot files in each --dir and K3s's own snapshot schedule "
        + "(read-only; for the operator's node scans).")
final class ScanCommand implements Callable<Integer> {

  @ParentCommand
  EtcdSnapshotCommand parent;

  @Spec
  CommandSpec spec;

  @Option(names = "--dir", paramLabel = "DIR", description = "A snapshot dir to list "
      + "(repeatable)")
  List<Path> dirs = new ArrayList<>();

  @Option(names = "--k3s-unit", paramLabel = "FILE", defaultValue = K3sServiceUnit.DEFAULT_FILE,
      description = "K3s's systemd unit (default: ${DEFAULT-VALUE}); missing is fine")
  Path unitFile;

  @Option(names = "--k3s-config", paramLabel = "FILE", defaultValue = K3sConfig.DEFAULT_FILE,
      description = "K3s's config file when neither K3S_CONFIG_FILE (in the unit's environment)"
          + " nor the unit's --config names another (default: ${DEFAULT-VALUE})")
  Path configFile;

  @Override
  public Integer call() {
    List<NodeScanReport.DirListing> listings = new ArrayList<>();
    for (Path dir : dirs) {
      listings.add(list(dir));
    }
    K3sSnapshotSchedule k3s = null;
    String problem = null;
    try {
      k3s = k3sSchedule();
    } catch (IOException | RuntimeException e) {
      problem = "cannot read K3s's settings on this node: " + e.getMessage();
    }
    NodeScanReport report = new NodeScanReport(listings, k3s, problem);
    PrintWriter out = spec.commandLine().getOut();
    for (var l : listings) {
      out.printf("%s: %s%n", l.dir(), l.problem() != null ? l.problem()
          : l.files().size() + " snapshot(s)");
    }
    out.println(k3s != null ? "K3s " + k3s.describe() + " (" + k3s.source() + ")" : problem);
    out.flush();
    parent.writeResult(AgentResult.success(report));
    return 0;
  }

  private static NodeScanReport.DirListing list(Path dir) {
    try {
      Map<String, Long> files = new LinkedHashMap<>();
      for (StoredSnapshot s : new LocalSnapshotDir(dir).list()) {
        files.put(s.name(), s.size());
      }
      return new NodeScanReport.DirListing(dir.toString(), files, null);
    } catch (RuntimeException e) {
      return new NodeScanReport.DirListing(dir.toString(), null, e.getMessage());
    }
  }

  /** K3s's schedule from the unit's command line and environment, and the config it names. */
  private K3sSnapshotSchedule k3sSchedule() throws IOException {
    K3sServiceUnit unit = Files.isRegularFile(unitFile)
        ? K3sServiceUnit.parse(Files.readString(unitFile))
        : new K3sServiceUnit(List.of(), Map.of(), List.of());
    Map<String, String> env = new HashMap<>(unit.environment());
    for (String f : unit.environmentFiles()) {
      Path p = Path.of(f);
      if (Files.isRegularFile(p)) {
        env.putAll(K3sServiceUnit.parseEnvironmentFile(Files.readString(p)));
      }
    }
    String named = configFlag(unit.commandLine());
    Path config = K3sConfig.locate(env, named != null ? named : configFile.toString());
    K3sConfig read = K3sConfig.read(config);
    List<String> args = K3sSnapshotSchedule.serverArgs(read, unit.commandLine());
    String source = (read.files().isEmpty() ? "no " + config : String.join(", ",
        read.files().stream().map(Path::toString).toList()))
        + (unit.commandLine().isEmpty() ? "" : " and " + unitFile);
    return K3sSnapshotSchedule.fromServerArgs(args, source);
  }

  private static String configFlag(List<String> commandLine) {
    for (int i = 0; i < commandLine.size(); i++) {
      String a = commandLine.get(i);
      if ((a.equals("--config") || a.equals("-c")) && i + 1 < commandLine.size()) {
        return commandLine.get(i + 1);
      }
      if (a.startsWith("--config=") || a.startsWith("-c=")) {
        return a.substring(a.indexOf('=') + 1);
      }
    }
    return null;
  }
}
