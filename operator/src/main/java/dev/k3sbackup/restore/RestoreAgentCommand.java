package dev.k3sbackup.restore;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code restore-agent server|peer}: one node's part of a restore, run by a privileged Job on
 * that node. It carries its steps through without the Kubernetes API, journals them on the node
 * and serves their progress to its peers on the host network.
 */
@Command(name = "restore-agent", mixinStandardHelpOptions = true,
    description = "One server node's part of an etcd restore.",
    subcommands = {RestoreAgentCommand.Server.class, RestoreAgentCommand.Peer.class})
public final class RestoreAgentCommand {

  private static final ObjectMapper JSON = new ObjectMapper();

  final RestoreContext context;

  @Option(names = "--data-dir", defaultValue = "/var/lib/rancher/k3s",
      scope = CommandLine.ScopeType.INHERIT, description = "K3s data dir (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--restore-id", defaultValue = "restore", scope = CommandLine.ScopeType.INHERIT,
      description = "Names the journal, one per restore")
  String restoreId;

  @Option(names = "--journal", scope = CommandLine.ScopeType.INHERIT,
      description = "Journal file (default: $${data-dir}/server/k3s-etcd-backup/<restore-id>.json)")
  Path journal;

  @Option(names = "--node-name", defaultValue = "${env:NODE_NAME:-node}",
      scope = CommandLine.ScopeType.INHERIT, description = "This node's name")
  String node;

  @Option(names = "--status-port", defaultValue = "" + RestoreStatusServer.PORT,
      scope = CommandLine.ScopeType.INHERIT, description = "Port of this agent's status server")
  int statusPort;

  @Option(names = "--wait", defaultValue = "PT30M", scope = CommandLine.ScopeType.INHERIT,
      description = "How long to wait for peers (ISO-8601, default 30 minutes)")
  Duration wait;

  @Option(names = "--result-file", scope = CommandLine.ScopeType.INHERIT,
      description = "Write the outcome and the journal as JSON here")
  Path resultFile;

  public RestoreAgentCommand(RestoreContext context) {
    this.context = context;
  }

  /** A command line whose failures are one readable line and exit code 1. */
  public static CommandLine commandLine(RestoreContext context) {
    CommandLine cli = new CommandLine(new RestoreAgentCommand(context));
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      RestoreAgentCommand root = commandLine.getCommandSpec().root().commandLine().getCommand();
      root.writeResult(false, e.getMessage());
      commandLine.getErr().println("error: " + e.getMessage());
      commandLine.getErr().flush();
      return 1;
    });
    return cli;
  }

  RestoreJournal openJournal() {
    Path file = journal != null ? journal
        : dataDir.resolve("server/k3s-etcd-backup/" + restoreId + ".json");
    return RestoreJournal.open(file, context.clock());
  }

  PeerProbe probe() {
    return new PeerProbe(context.clock(), wait, Duration.ofSeconds(2));
  }

  RestoreStatusServer serve(java.util.function.Supplier<Map<String, Object>> status) {
    return RestoreStatusServer.start(new InetSocketAddress(statusPort), status);
  }

  void writeResult(boolean ok, String message) {
    if (resultFile == null) {
      return;
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("ok", ok);
    if (message != null) {
      r.put("message", message.length() > 1500 ? message.substring(0, 1500) : message);
    }
    r.put("journal", openJournal().entries().stream().map(e -> e.step() + " " + e.state())
        .toList());
    try {
      Files.writeString(resultFile, JSON.writeValueAsString(r));
    } catch (IOException e) {
      // the journal on the node still holds the outcome
    }
  }

  /** The restoring server (S1, or the only server). */
  @Command(name = "server", mixinStandardHelpOptions = true,
      description = "Verify, stop K3s, reset from the snapshot, (wait for peers), start K3s.")
  static final class Server implements Callable<Integer> {
    @ParentCommand
    RestoreAgentCommand agent;

    @Option(names = "--snapshot", required = true, description = "The snapshot file on this node")
    Path snapshot;

    @Option(names = "--sha256", description = "The sha256 recorded when it was taken")
    String sha256;

    @Option(names = "--peer", description = "A peer agent's status URL (HA; repeat per peer)")
    List<URI> peers = new ArrayList<>();

    @Override
    public Integer call() {
      ServerRestore restore = new ServerRestore(agent.context.hosts().apply(agent.dataDir),
          agent.openJournal(), agent.probe());
      try (RestoreStatusServer status = agent.serve(() -> restore.status(agent.node))) {
        restore.run(new ServerRestore.Plan(snapshot, sha256, peers));
      }
      agent.writeResult(true, null);
      return 0;
    }
  }

  /** A peer (S2, S3): stop, move the db aside, wait for the server, rejoin. */
  @Command(name = "peer", mixinStandardHelpOptions = true,
      description = "Stop K3s, move server/db aside, wait for the restored server, rejoin.")
  static final class Peer implements Callable<Integer> {
    @ParentCommand
    RestoreAgentCommand agent;

    @Option(names = "--server", required = true, description = "The server agent's status URL")
    URI server;

    @Override
    public Integer call() {
      PeerRestore restore = new PeerRestore(agent.context.hosts().apply(agent.dataDir),
          agent.openJournal(), agent.probe());
      try (RestoreStatusServer status = agent.serve(() -> restore.status(agent.node))) {
        restore.run(server);
      }
      agent.writeResult(true, null);
      return 0;
    }
  }
}
