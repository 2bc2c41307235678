package dev.k3sbackup.cli;

import dev.k3sbackup.snapshot.ProgressListener;
import dev.k3sbackup.snapshot.SnapshotException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code etcd-snapshot}: K3s's subcommand of the same name, with its verbs and flag names, run
 * directly against a node's etcd, snapshot dir and S3 folder.
 */
@Command(name = "etcd-snapshot",
    description = "Save, list, delete, prune and verify K3s etcd snapshots.",
    mixinStandardHelpOptions = true,
    subcommands = {SaveCommand.class, ListCommand.class, DeleteCommand.class,
        PruneCommand.class, VerifyCommand.class})
public final class EtcdSnapshotCommand {

  /** Exit codes, documented in the README. */
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_BAD_INPUT = 2;
  public static final int EXIT_UPLOAD_FAILED = 3;

  final CliContext context;

  @Spec
  CommandSpec spec;

  public EtcdSnapshotCommand(CliContext context) {
    this.context = context;
  }

  /** A command line for this command, reporting failures as one readable error line. */
  public static CommandLine commandLine(CliContext context) {
    CommandLine cli = new CommandLine(new EtcdSnapshotCommand(context));
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      if (e instanceof SnapshotException se) {
        err.println("error: " + se.getMessage());
        err.flush();
        return switch (se.kind()) {
          case BAD_INPUT -> EXIT_BAD_INPUT;
          case UPLOAD_FAILED -> EXIT_UPLOAD_FAILED;
          case FAILED -> EXIT_FAILED;
        };
      }
      err.println("error: unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage());
      err.flush();
      return EXIT_FAILED;
    });
    return cli;
  }

  ProgressListener progress(CommandLine cli) {
    return context.terminal() ? new TerminalProgress(cli.getErr()) : ProgressListener.NONE;
  }
}
