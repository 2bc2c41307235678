package dev.k3sbackup.restore;

import dev.k3sbackup.base.K3sConfig;
import dev.k3sbackup.base.K3sLayout;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.base.FailureKind;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentSettings;
import dev.k3sbackup.contract.RestoreId;
import dev.k3sbackup.contract.RestoreReport;
import dev.k3sbackup.contract.RestoreRole;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    subcommands = {RestoreAgentCommand.Server.class, RestoreAgentCommand.Peer.class,
        RestoreAgentCommand.Journals.class})
public final class RestoreAgentCommand {

  private static final ObjectMapper JSON = new ObjectMapper();

  final RestoreContext context;

  @Option(names = "--data-dir", defaultValue = K3sLayout.DEFAULT_DATA_DIR,
      scope = CommandLine.ScopeType.INHERIT, description = "K3s data dir (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--restore-id", defaultValue = "restore", scope = CommandLine.ScopeType.INHERIT,
      converter = RestoreIdConverter.class, description = "Names the journal, one per restore")
  RestoreId restoreId;

  @Option(names = "--journal", scope = CommandLine.ScopeType.INHERIT,
      description = "Journal file (default: $${data-dir}/server/k3s-etcd-backup/<restore-id>.json)")
  Path journal;

  @Option(names = "--node-name", defaultValue = "${env:NODE_NAME:-node}",
      scope = CommandLine.ScopeType.INHERIT, description = "This node's name")
  String node;

  @Option(names = "--status-port", defaultValue = "" + AgentSettings.RESTORE_STATUS_PORT,
      scope = CommandLine.ScopeType.INHERIT, description = "Port of this agent's status server")
  int statusPort;

  @Option(names = "--status-address", defaultValue = "0.0.0.0",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Address the status server listens on: this node's IP (default: all)")
  String statusAddress;

  @Option(names = "--restore", scope = CommandLine.ScopeType.INHERIT,
      description = "The EtcdRestore as NAMESPACE/NAME, kept in the journal")
  String restoreResource;

  @Option(names = "--confirmation", scope = CommandLine.ScopeType.INHERIT,
      description = "The EtcdRestore's spec.confirmation, kept in the journal")
  String confirmation;

  @Option(names = "--snapshot-resource", scope = CommandLine.ScopeType.INHERIT,
      description = "The EtcdSnapshot restored, kept in the journal")
  String snapshotResource;

  @Option(names = "--wait", defaultValue = "PT30M", scope = CommandLine.ScopeType.INHERIT,
      description = "How long to wait for peers (ISO-8601, default 30 minutes)")
  Duration wait;

  @Option(names = "--linger", defaultValue = "PT30S", scope = CommandLine.ScopeType.INHERIT,
      description = "After a failure, keep serving it this long so the peers see it and stop "
          + "waiting (ISO-8601, default 30 seconds)")
  Duration linger;

  @Option(names = "--result-file", scope = CommandLine.ScopeType.INHERIT,
      description = "Write the outcome and the journal as JSON here")
  Path resultFile;

  @Option(names = "--keep-old-data", defaultValue = "2", scope = CommandLine.ScopeType.INHERIT,
      description = "After a restore succeeded, keep this many of the newest server/db/etcd-old-*"
          + " and server/db-old-* dirs on this node and remove the older ones (default: "
          + "${DEFAULT-VALUE})")
  int keepOldData;

  public RestoreAgentCommand(RestoreContext context) {
    this.context = context;
  }

  /** A command line whose failures are one readable line and exit code 1. */
  public static CommandLine commandLine(RestoreContext context) {
    CommandLine cli = new CommandLine(new RestoreAgentCommand(context));
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      RestoreAgentCommand root = commandLine.getCommandSpec().root().commandLine().getCommand();
      root.writeResult(AgentResult.failure(FailureKind.FAILED, e.getMessage(),
          root.opened == null ? null : root.opened.report()));
      commandLine.getErr().println("error: " + e.getMessage());
      commandLine.getErr().flush();
      return 1;
    });
    return cli;
  }

  @Option(names = "--journal-dir", scope = CommandLine.ScopeType.INHERIT,
      description = "Where journals are kept (default: $${data-dir}/server/k3s-etcd-backup)")
  Path journalDir;

  /** Where journals live on a node: next to K3s's own server state, outside etcd. */
  Path journalDir() {
    return journalDir != null ? journalDir : K3sLayout.of(dataDir).journalDir();
  }

  /**
   * Opens this restore's journal for the subcommand that runs as {@code role}; it is also the
   * one reported with the outcome.
   */
  RestoreJournal openJournal(RestoreRole role, List<String> peers) {
    Path file = journal != null ? journal : journalDir().resolve(restoreId.journalFile());
    String ns = null;
    String name = restoreResource;
    if (restoreResource != null && restoreResource.contains("/")) {
      ns = restoreResource.substring(0, restoreResource.indexOf('/'));
      name = restoreResource.substring(restoreResource.indexOf('/') + 1);
    }
    opened = RestoreJournal.open(file, context.clock(), new RestoreReport.Restore(restoreId, ns,
        name, snapshotResource, node, role, peers, confirmation));
    return opened;
  }

  @Option(names = "--snapshot-dir", scope = CommandLine.ScopeType.INHERIT,
      description = "K3s's snapshot dir (default: $${data-dir}/server/db/snapshots)")
  Path snapshotDir;

  @Option(names = "--config-file", defaultValue = K3sConfig.DEFAULT_FILE,
      scope = CommandLine.ScopeType.INHERIT,
      description = "K3s's config file on this node, mounted at its path (default: "
          + "${DEFAULT-VALUE}); read for the reset, never changed")
  Path configFile;

  @Option(names = "--service-manager", defaultValue = K3sService.AUTO,
      scope = CommandLine.ScopeType.INHERIT,
      description = "How K3s is run here: systemd, openrc, or auto (found on the node)")
  String serviceManager;

  @Option(names = "--service", defaultValue = "k3s", scope = CommandLine.ScopeType.INHERIT,
      description = "K3s's unit or service name (default: ${DEFAULT-VALUE})")
  String service;

  /** This restore's id and its agents' token ($RESTORE_AGENT_TOKEN, from its Secret). */
  AgentAuth auth() {
    return new AgentAuth(restoreId, context.env().get(AgentAuth.TOKEN_ENV));
  }

  PeerProbe probe() {
    return new PeerProbe(context.clock(), wait, Duration.ofSeconds(2), auth());
  }

  RestoreStatusServer serve(java.util.function.Supplier<AgentStatus> status) {
    return RestoreStatusServer.start(new InetSocketAddress(statusAddress, statusPort), auth(),
        status);
  }

  /** What this node's host is, as the flags say. */
  RestoreContext.HostSettings hostSettings() {
    return new RestoreContext.HostSettings(new K3sLayout(dataDir, snapshotDir), configFile,
        serviceManager, service);
  }

  /** One node's part of a restore: what its status server says, and its steps. */
  record Part(java.util.function.Function<String, AgentStatus> status, Runnable steps) {}

  /**
   * Runs this node's part as {@code role}: its steps journaled, its progress served to the
   * other agents while it runs (and a while after a failure), its journal reported at the end.
   */
  int runPart(RestoreRole role, List<String> peerNodes,
      java.util.function.BiFunction<NodeHost, RestoreJournal, Part> part) {
    AgentAuth auth = auth(); // no token, no status port: refused before anything runs
    Part restore = part.apply(context.hosts().apply(hostSettings()),
        openJournal(role, peerNodes));
    try (RestoreStatusServer status = serve(() -> restore.status().apply(node))) {
      lingerOnFailure(restore.steps());
    }
    removeOldData();
    writeResult(AgentResult.success(opened.report()));
    return 0;
  }

  /** After success: the etcd-old-* and db-old-* dirs beyond {@code --keep-old-data} go. */
  private void removeOldData() {
    if (keepOldData < 1) {
      return; // 0 would remove the data this restore just kept aside
    }
    try {
      for (Path removed : OldData.prune(K3sLayout.of(dataDir), keepOldData)) {
        System.err.println("removed " + removed + " (older than the " + keepOldData
            + " newest kept, --keep-old-data)");
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("warning: could not remove old data beyond --keep-old-data "
          + keepOldData + ": " + e.getMessage());
    }
  }

  /** Runs {@code steps}; on failure, waits {@link #linger} (still serving) before failing. */
  void lingerOnFailure(Runnable steps) {
    try {
      steps.run();
    } catch (RuntimeException e) {
      try {
        Thread.sleep(linger.toMillis());
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      throw e;
    }
  }

  /** The journal the subcommand that ran opened, reported with the outcome. */
  private RestoreJournal opened;

  /** Writes the outcome to {@code --result-file}; the journal on the node holds it anyway. */
  void writeResult(AgentResult<?> result) {
    if (resultFile == null) {
      return;
    }
    try {
      result.writeTo(resultFile);
    } catch (IOException e) {
      // the journal on the node still holds the outcome
    }
  }

  /** {@code --restore-id} as the value it is. */
  static final class RestoreIdConverter implements CommandLine.ITypeConverter<RestoreId> {
    @Override
    public RestoreId convert(String value) {
      return RestoreId.of(value);
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

    @Option(names = "--peer-node", description = "A peer's node name, kept in the journal")
    List<String> peerNodes = new ArrayList<>();

    @Option(names = "--revision-before", description = "etcd's revision read before the "
        + "restore: the restored revision is bumped past it (default: by 10^9)")
    Long revisionBefore;

    @Override
    public Integer call() {
      return agent.runPart(RestoreRole.SERVER, peerNodes, (host, journal) -> {
        SnapshotPreparer preparer = agent.context.preparers().apply(agent.hostSettings().k3s(),
            revisionBefore == null ? java.util.OptionalLong.empty()
                : java.util.OptionalLong.of(revisionBefore));
        ServerRestore restore = new ServerRestore(host, journal, agent.probe(), preparer);
        return new Part(restore::status,
            () -> restore.run(new ServerRestore.Plan(snapshot, sha256, peers)));
      });
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

    @Option(names = "--server-k3s", description = "The server's K3s supervisor /ping URL "
        + "(default: https://<the server agent's host>:6443/ping)")
    URI serverK3s;

    @Override
    public Integer call() {
      URI k3s = serverK3s != null ? serverK3s : K3sPing.of(server.getHost(),
          K3sPing.SUPERVISOR_PORT);
      return agent.runPart(RestoreRole.PEER, List.of(), (host, journal) -> {
        PeerRestore restore = new PeerRestore(host, journal, agent.probe());
        return new Part(restore::status, () -> restore.run(server, k3s));
      });
    }
  }

  /**
   * The journals on this node, newest first, as the operator reads them back after the etcd
   * rollback: only those of the last {@code --days}, and no more than fit a Job's termination
   * message.
   */
  @Command(name = "journals", mixinStandardHelpOptions = true,
      description = "Report the restore journals kept on this node.")
  static final class Journals implements Callable<Integer> {
    /** A termination message holds 4 KiB; leave room for the envelope. */
    static final int BUDGET = 3500;
    static final String REPORTED = ".reported";

    @ParentCommand
    RestoreAgentCommand agent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--days", defaultValue = "7", description = "How far back (default 7)")
    int days;

    @Option(names = "--ack", description = "A restore id whose outcome the operator has shown: "
        + "its journal is kept but no longer reported (repeat per id)",
        converter = RestoreIdConverter.class)
    List<RestoreId> acked = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
      Path dir = agent.journalDir();
      List<RestoreReport> reports = new ArrayList<>();
      for (RestoreId id : acked) {
        if (Files.exists(dir.resolve(id.journalFile()))) {
          Files.writeString(dir.resolve(id + REPORTED), "");
        }
      }
      if (Files.isDirectory(dir)) {
        // the files' age on this disk, so the wall clock, not an injected one
        java.time.Instant since = java.time.Instant.now().minus(Duration.ofDays(days));
        List<Path> files;
        try (var list = Files.list(dir)) {
          files = list.filter(p -> p.toString().endsWith(".json"))
              .filter(p -> !Files.exists(p.resolveSibling(p.getFileName().toString()
                  .replace(".json", REPORTED))))
              .sorted(java.util.Comparator.comparing(RestoreAgentCommand::modified).reversed())
              .filter(p -> modified(p).isAfter(since)).toList();
        }
        int size = 0;
        for (Path file : files) {
          RestoreReport report = RestoreJournal.reportOf(file);
          size += JSON.writeValueAsString(report).length();
          if (size > BUDGET) {
            break;
          }
          reports.add(report);
        }
      }
      agent.writeResult(AgentResult.success(reports));
      spec.commandLine().getOut().println(JSON.writerWithDefaultPrettyPrinter()
          .writeValueAsString(reports));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  private static java.time.Instant modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toInstant();
    } catch (IOException e) {
      return java.time.Instant.EPOCH;
    }
  }
}
