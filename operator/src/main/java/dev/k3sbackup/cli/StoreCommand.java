package dev.k3sbackup.cli;

import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.snapshot.SnapshotCatalog;
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
