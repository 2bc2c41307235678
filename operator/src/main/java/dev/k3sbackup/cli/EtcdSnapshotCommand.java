package dev.k3sbackup.cli;

import dev.k3sbackup.snapshot.ProgressListener;
import dev.k3sbackup.base.FailureKind;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.base.SnapshotException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code etcd-snapshot}: K3s's subcommand of the same name, with its verbs and flag names, run
 * directly against a node's etcd, snapshot dir and S3 folder.
 */
@Command(name = "etcd-snapshot",
    description = "Save, list, delete, prune and verify K3s etcd snapshots.",
    mixinStandardHelpOptions = true)
public final class EtcdSnapshotCommand {

  /** The verbs, in the order help lists them. */
  static final List<Class<?>> VERBS = List.of(SaveCommand.class, ListCommand.class,
      DeleteCommand.class, PruneCommand.class, VerifyCommand.class, DrillCommand.class,
      PrepareRestoreCommand.class, ScanCommand.class);

  /** Exit codes, documented in the README. */
  public static final int EXIT_FAILED = FailureKind.FAILED.exitCode();
  public static final int EXIT_BAD_INPUT = FailureKind.BAD_INPUT.exitCode();
  public static final int EXIT_UPLOAD_FAILED = FailureKind.UPLOAD_FAILED.exitCode();

  final CliContext context;

  @Spec
  CommandSpec spec;

  @Option(names = "--result-file", paramLabel = "PATH", scope = ScopeType.INHERIT,
      description = "Also write the outcome as one line of JSON to PATH (for the operator's "
          + "Jobs: /dev/termination-log)")
  Path resultFile;

  private boolean resultWritten;

  /** Writes the outcome to {@code --result-file}, once; does nothing without that flag. */
  void writeResult(AgentResult<?> result) {
    if (resultFile == null || resultWritten) {
      return;
    }
    resultWritten = true;
    try {
      result.writeTo(resultFile);
    } catch (IOException e) {
      spec.commandLine().getErr().println("warning: cannot write --result-file " + resultFile
          + ": " + e.getMessage());
    }
  }

  public EtcdSnapshotCommand(CliContext context) {
    this.context = context;
  }

  /** A command line for this command with every verb, reporting failures as one readable line. */
  public static CommandLine commandLine(CliContext context) {
    return commandLine(context, null);
  }

  /**
   * The same with only {@code verb}'s subcommand when it names one (all of them otherwise, for
   * help and errors): picocli reads every option of every verb it is given, by reflection, and
   * all eight took a tenth of a second at every start.
   */
  static CommandLine commandLine(CliContext context, String verb) {
    CommandLine cli = new CommandLine(new EtcdSnapshotCommand(context));
    List<Class<?>> named = VERBS.stream().filter(v -> names(v).contains(verb)).toList();
    for (Class<?> v : named.isEmpty() ? VERBS : named) {
      cli.addSubcommand(v);
    }
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    // a flag given twice keeps its last value, as in K3s's CLI (Go's flag parsing)
    cli.setOverwrittenOptionsAllowed(true);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      EtcdSnapshotCommand root = commandLine.getCommandSpec().root().commandLine().getCommand();
      root.writeResult(AgentResult.failure(e instanceof SnapshotException se
          ? se.kind() : FailureKind.FAILED, e.getMessage(), null));
      if (e instanceof SnapshotException se) {
        err.println("error: " + se.getMessage());
        err.flush();
        return se.kind().exitCode();
      }
      err.println("error: unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage());
      err.flush();
      return EXIT_FAILED;
    });
    return cli;
  }

  /**
   * Runs {@code etcd-snapshot} with {@code args} (the verb and its flags) to its exit code: the
   * flags not given take their values from K3s's config file and environment, as
   * {@code k3s etcd-snapshot} does ({@link K3sFlagDefaults}).
   */
  public static int execute(CliContext context, String[] args, PrintWriter out,
      PrintWriter err) {
    CommandLine cli = commandLine(context, args.length > 0 ? args[0] : null);
    cli.setOut(out);
    cli.setErr(err);
    try {
      cli.setDefaultValueProvider(K3sFlagDefaults.forCommandLine(context.env(), args, err));
    } catch (SnapshotException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return e.kind().exitCode();
    }
    return cli.execute(args);
  }

  private static List<String> names(Class<?> verb) {
    Command command = verb.getAnnotation(Command.class);
    List<String> names = new ArrayList<>(List.of(command.aliases()));
    names.add(command.name());
    return names;
  }

  ProgressListener progress(CommandLine cli) {
    return context.terminal() ? new TerminalProgress(cli.getErr()) : ProgressListener.NONE;
  }
}
