package dev.k3sbackup;

import dev.k3sbackup.cli.CliContext;
import dev.k3sbackup.cli.EtcdSnapshotCommand;
import java.util.Arrays;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The one jar's entry point: {@code etcd-snapshot} (the CLI) today; the operator and the node
 * agent join it as further commands.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    // gRPC and Vert.x log through java.util.logging; send it to the same place as ours.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    if (args.length == 0 || !args[0].equals("etcd-snapshot")) {
      System.err.println("usage: java -jar k3s-etcd-backup.jar etcd-snapshot "
          + "save|ls|delete|prune|verify [flags]   (add --help for flags)");
      System.exit(args.length == 0 || args[0].equals("--help") ? 0 : 2);
    }
    int code = EtcdSnapshotCommand.commandLine(CliContext.system())
        .execute(Arrays.copyOfRange(args, 1, args.length));
    System.exit(code);
  }
}
