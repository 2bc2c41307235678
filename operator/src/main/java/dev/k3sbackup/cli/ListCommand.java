package dev.k3sbackup.cli;

import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.storage.StoredSnapshot;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code ls} / {@code list} / {@code l}: K3s's listing, local dir and S3 together. */
@Command(name = "ls", aliases = {"list", "l"}, mixinStandardHelpOptions = true,
    description = "List snapshots in the snapshot dir and, with --s3, the S3 folder.")
final class ListCommand implements Callable<Integer> {

  @ParentCommand
  EtcdSnapshotCommand parent;

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  StoreOptions store;

  @Option(names = {"-o", "--output"}, defaultValue = "table",
      description = "Output: table, json or yaml (default: ${DEFAULT-VALUE})")
  OutputFormat output;

  @Override
  public Integer call() {
    List<StoredSnapshot> all;
    try (SnapshotCatalog catalog = new SnapshotCatalog(store.local(),
        store.s3Store(parent.context.env()), parent.progress(spec.commandLine()))) {
      all = catalog.list();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (output == OutputFormat.TABLE) {
      out.print(OutputFormat.table(List.of("Name", "Location", "Size", "Created"),
          all.stream().map(s -> List.of(s.name(), s.location(), Long.toString(s.size()),
              s.createdAt().toString())).toList()));
    } else {
      out.print(output.render(all));
    }
    out.flush();
    return 0;
  }
}
