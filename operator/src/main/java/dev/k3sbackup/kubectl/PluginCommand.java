package dev.k3sbackup.kubectl;

import dev.k3sbackup.cli.EtcdSnapshotCommand;
import dev.k3sbackup.base.SnapshotException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code kubectl etcdsnapshot}: K3s's {@code etcd-snapshot} verbs and flag names, acting on the
 * EtcdSnapshot and EtcdRestore resources through the Kubernetes API (never on etcd directly):
 * the operator does the work, the plugin creates, lists, deletes and follows the resources.
 */
@Command(name = "kubectl etcdsnapshot", mixinStandardHelpOptions = true,
    description = {"K3s's etcd-snapshot verbs on the cluster's EtcdSnapshot and EtcdRestore "
        + "resources: the k3s-etcd-backup operator does the work."},
    subcommands = {SaveVerb.class, ListVerb.class, DeleteVerb.class, PruneVerb.class,
        DrillVerb.class, RestoreVerb.class, DescribeVerb.class},
    footer = {"", "Exit codes: 0 done; 1 failed (the message says why); 2 refused bad input "
        + "(nothing was created or deleted)."})
public final class PluginCommand implements Callable<Integer> {

  /** The first argument that makes {@code dev.k3sbackup.Main} run the plugin. */
  public static final String ENTRY = "kubectl-etcdsnapshot";
  /** Where {@code kubectl apply -k config/default} installs the operator. */
  public static final String DEFAULT_NAMESPACE = "k3s-etcd-backup";

  final PluginContext context;

  @Spec
  CommandSpec spec;

  @Option(names = "--kubeconfig", paramLabel = "PATH", scope = ScopeType.INHERIT,
      description = "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
  Path kubeconfig;

  @Option(names = "--context", paramLabel = "NAME", scope = ScopeType.INHERIT,
      description = "kubeconfig context (default: the current one)")
  String kubeContext;

  @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", scope = ScopeType.INHERIT,
      defaultValue = DEFAULT_NAMESPACE,
      description = "Namespace of the resources (default: ${DEFAULT-VALUE})")
  String namespace;

  /** The API server the client talks to, for error messages. */
  private String masterUrl;

  public PluginCommand(PluginContext context) {
    this.context = context;
  }

  /** A command line for the plugin, reporting failures as one readable error line. */
  public static CommandLine commandLine(PluginContext context) {
    CommandLine cli = new CommandLine(new PluginCommand(context));
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      PluginCommand root = commandLine.getCommandSpec().root().commandLine().getCommand();
      int code;
      if (e instanceof SnapshotException se) {
        err.println("error: " + se.getMessage());
        code = se.kind().exitCode();
      } else if (e instanceof KubernetesClientException ke) {
        err.println("error: " + root.explain(ke));
        code = EtcdSnapshotCommand.EXIT_FAILED;
      } else {
        err.println("error: unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage());
        code = EtcdSnapshotCommand.EXIT_FAILED;
      }
      err.flush();
      return code;
    });
    return cli;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /**
   * A client for the cluster the flags (or the current kubeconfig) point at. Requests are not
   * retried by the client: a waiting verb polls again itself, and a refusal shows at once.
   */
  KubernetesClient client() {
    Config config;
    if (kubeconfig != null) {
      if (!Files.isReadable(kubeconfig)) {
        throw SnapshotException.badInput("--kubeconfig " + kubeconfig + " cannot be read: "
            + "give an existing kubeconfig file");
      }
      config = Config.fromKubeconfig(kubeContext, kubeconfig.toFile());
    } else {
      config = Config.autoConfigure(kubeContext);
    }
    config.setRequestRetryBackoffLimit(0);
    masterUrl = config.getMasterUrl();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** What went wrong talking to the API, and what to check. */
  String explain(KubernetesClientException e) {
    String status = e.getStatus() != null && e.getStatus().getMessage() != null
        ? e.getStatus().getMessage() : e.getMessage();
    if (e.getCode() <= 0) {
      return "cannot reach the Kubernetes API at " + apiUrl() + ": " + rootCause(e)
          + ": check --kubeconfig / --context (or $KUBECONFIG)";
    }
    return switch (e.getCode()) {
      case 401 -> "the Kubernetes API refused our credentials (401): check --kubeconfig / "
          + "--context";
      case 403 -> "not allowed (403): " + status + ": ask for the ClusterRole k3s-etcd-backup-editor "
          + "(bound in namespace " + namespace + ")";
      case 404 -> "not found (404): " + status + ": is the operator installed (kubectl apply "
          + "-k config/default)? Its resources live in namespace " + DEFAULT_NAMESPACE
          + " unless you pass -n";
      default -> "the Kubernetes API answered " + e.getCode() + ": " + status;
    };
  }

  private String apiUrl() {
    return masterUrl == null ? "(unknown)" : masterUrl;
  }

  static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName()
        : t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
