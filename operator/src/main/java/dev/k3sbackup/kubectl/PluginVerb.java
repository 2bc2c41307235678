package dev.k3sbackup.kubectl;

import dev.k3sbackup.cli.OutputOption;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What every plugin verb shares: the cluster connection (opened for the verb, closed after),
 * the namespace, stdout for results and stderr for progress.
 */
abstract class PluginVerb implements Callable<Integer> {

  @ParentCommand
  PluginCommand root;

  @Spec
  CommandSpec spec;

  @Override
  public final Integer call() {
    try (KubernetesClient client = root.client()) {
      return run(new BackupApi(client, root.namespace));
    }
  }

  /** Does the verb; returns the exit code. */
  abstract int run(BackupApi api);

  PluginContext context() {
    return root.context;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** Prints {@code text} for {@code -o table}, else the resource as JSON or YAML. */
  void print(OutputOption output, Object resource, String text) {
    out().print(output.table() ? text + "\n" : output.render(resource));
    out().flush();
  }

  Waiter waiter(WaitOptions wait) {
    return new Waiter(context().pollEvery(), wait.timeout(), err());
  }
}
