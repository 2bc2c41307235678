package dev.k3sbackup.cli;

import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.base.SnapshotException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code delete NAME...}: removes files, objects and their sidecars. */
@Command(name = "delete", aliases = {"rm"}, mixinStandardHelpOptions = true,
    description = "Delete snapshots by name (as 'ls' shows them, with .zip when compressed).")
final class DeleteCommand extends StoreCommand {

  @Parameters(arity = "1..*", paramLabel = "NAME", description = "Snapshot names")
  List<String> names;

  @Option(names = "--missing-ok",
      description = "A name that is already gone is not an error (for the operator)")
  boolean missingOk;

  @Override
  Integer execute() {
    PrintWriter out = out();
    List<String> missing = new ArrayList<>();
    List<SnapshotCatalog.Deleted> outcomes = new ArrayList<>();
    try (SnapshotCatalog catalog = catalog()) {
      for (String name : names) {
        SnapshotCatalog.Deleted d = catalog.delete(name);
        outcomes.add(d);
        if (!d.any()) {
          missing.add(name);
          continue;
        }
        out.printf("Deleted %s%s%s%n", name, d.local() ? " (local)" : "", d.s3() ? " (s3)" : "");
      }
    }
    out.flush();
    if (!missing.isEmpty() && !missingOk) {
      throw SnapshotException.badInput("no snapshot named " + String.join(", ", missing)
          + " in --dir " + store.snapshotDir() + (store.s3 ? " or the S3 folder" : "")
          + ": check the names with 'ls' (compressed ones end in .zip)");
    }
    result(outcomes);
    return 0;
  }
}
