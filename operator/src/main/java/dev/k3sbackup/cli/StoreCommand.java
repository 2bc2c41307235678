package dev.k3sbackup.cli;

import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.logging.StderrLogConfigurator;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** What every {@code etcd-snapshot} verb shares: the context, the store flags and stdout. */
abstract class StoreCommand implements Callable<Integer> {

  @ParentCommand
  EtcdSnapshotCommand parent;

  @Spec
  CommandSpec spec;

  @Mixin
  StoreOptions store;

  /**
   * Runs the verb after what K3s's flag set asks of every verb: logging as {@code --debug},
   * {@code --log} and {@code --alsologtostderr} say, and the refusal of K3s's flags that cannot
   * mean the same here.
   */
  @Override
  public final Integer call() {
    boolean debug = store.debug || "true".equalsIgnoreCase(parent.context.env().get("K3S_DEBUG"));
    try (AutoCloseable logging = StderrLogConfigurator.applyCliFlags(debug, store.log,
        store.alsoLogToStderr)) {
      store.checkK3sOnlyFlags();
      return execute();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e); // only close() of the logging set-up declares it
    }
  }

  /** The verb itself. */
  abstract Integer execute();

  /** The snapshot dir and (with {@code --s3}) the S3 folder, seen together. */
  SnapshotCatalog catalog() {
    return new SnapshotCatalog(store.local(), store.s3Store(parent.context.env()),
        parent.progress(spec.commandLine()), parent.context.clock());
  }

  /** Records a successful outcome for {@code --result-file}. */
  void result(Object value) {
    parent.writeResult(AgentResult.success(value));
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
