package dev.k3sbackup.cli;

import dev.k3sbackup.contract.ListedSnapshot;
import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.storage.StoredSnapshot;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ls} / {@code list} / {@code l}: K3s's listing, local dir and S3 together. */
@Command(name = "ls", aliases = {"list", "l"}, mixinStandardHelpOptions = true,
    description = "List snapshots in the snapshot dir and, with --s3, the S3 folder.")
final class ListCommand extends StoreCommand {

  @Option(names = "--brief", description = "With --result-file: only name, size and time of "
      + "each snapshot (fits the 4 KiB of a Job's termination message)")
  boolean brief;

  @Mixin
  OutputOption output;

  @Override
  Integer execute() {
    List<StoredSnapshot> all;
    try (SnapshotCatalog catalog = catalog()) {
      all = catalog.list();
    }
    PrintWriter out = out();
    if (output.table()) {
      out.print(OutputFormat.table(List.of("Name", "Location", "Size", "Created"),
          all.stream().map(s -> List.of(s.name(), s.location(), Long.toString(s.size()),
              s.createdAt().toString())).toList()));
    } else {
      out.print(output.render(all));
    }
    out.flush();
    result(brief ? all.stream().map(s -> new ListedSnapshot(s.name(), s.size(), s.createdAt()))
        .toList() : all);
    return 0;
  }
}
