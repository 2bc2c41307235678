package dev.k3sbackup;

import dev.k3sbackup.cli.CliContext;
import dev.k3sbackup.cli.EtcdSnapshotCommand;
import dev.k3sbackup.etcd.EtcdTls;
import dev.k3sbackup.kubectl.PluginCommand;
import dev.k3sbackup.kubectl.PluginContext;
import dev.k3sbackup.operator.OperatorMain;
import dev.k3sbackup.restore.RestoreAgentCommand;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The one jar's entry point: {@code etcd-snapshot} (the CLI, which the node agent Jobs also
 * run), {@code operator}, {@code restore-agent} and {@code kubectl-etcdsnapshot} (the kubectl
 * plugin; the {@code kubectl-etcdsnapshot} file passes it first).
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    // gRPC and Vert.x log through java.util.logging; send it to the same place as ours.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    if (args.length > 0 && args[0].equals("operator")) {
      OperatorMain.run(Arrays.copyOfRange(args, 1, args.length));
      return; // the operator runs until it is stopped
    }
    System.exit(run(args, CliContext.system(), new PrintWriter(System.out, true),
        new PrintWriter(System.err, true)));
  }

  /**
   * Runs one command line to its exit code without exiting the JVM: {@code etcd-snapshot ...},
   * which is also what the node agent Jobs run, {@code restore-agent ...} and
   * {@code kubectl-etcdsnapshot ...}.
   */
  public static int run(String[] args, CliContext context, PrintWriter out, PrintWriter err) {
    if (args.length > 0 && args[0].equals(PluginCommand.ENTRY)) {
      CommandLine plugin = PluginCommand.commandLine(new PluginContext(context.clock(),
          context.terminal(), java.time.Duration.ofSeconds(1)));
      plugin.setOut(out);
      plugin.setErr(err);
      return plugin.execute(Arrays.copyOfRange(args, 1, args.length));
    }
    if (args.length > 0 && args[0].equals("restore-agent")) {
      CommandLine agent = RestoreAgentCommand.commandLine(context.restore());
      agent.setOut(out);
      agent.setErr(err);
      return agent.execute(Arrays.copyOfRange(args, 1, args.length));
    }
    if (args.length == 0 || !args[0].equals("etcd-snapshot")) {
      err.println("usage: java -jar k3s-etcd-backup.jar etcd-snapshot "
          + "save|ls|delete|prune|verify [flags]   (add --help for flags)\n"
          + "       java -jar k3s-etcd-backup.jar operator\n"
          + "       java -jar k3s-etcd-backup.jar restore-agent server|peer [flags]\n"
          + "       kubectl etcdsnapshot save|ls|delete|prune|restore|describe [flags]   "
          + "(the kubectl-etcdsnapshot file)");
      err.flush();
      return args.length == 0 || args[0].equals("--help") ? 0 : 2;
    }
    if (args.length > 1 && args[1].equals("save")) {
      EtcdTls.prepareInBackground(); // while the command line is read
    }
    return EtcdSnapshotCommand.execute(context, Arrays.copyOfRange(args, 1, args.length), out,
        err);
  }
}
