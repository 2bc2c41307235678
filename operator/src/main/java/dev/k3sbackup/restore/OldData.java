package dev.k3sbackup.restore;

import dev.k3sbackup.base.K3sLayout;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The data a restore moves aside on a node, kept to a number: K3s's {@code --cluster-reset}
 * moves {@code server/db/etcd} to {@code server/db/etcd-old-<unix>}, a peer's agent moves
 * {@code server/db} to {@code server/db-old-<unix>}. Each holds a whole etcd; after a restore
 * succeeded, only the newest {@code keep} of each kind stay on the node.
 */
public final class OldData {

  private static final Pattern ETCD_OLD = Pattern.compile(
      Pattern.quote(K3sLayout.ETCD_OLD_PREFIX) + "(\\d+)");
  private static final Pattern DB_OLD = Pattern.compile("db-old-(\\d+)");

  private OldData() {}

  /**
   * The names among {@code names} matching {@code pattern} (a group holding unix seconds) beyond
   * the {@code keep} newest, oldest last.
   */
  static List<String> beyond(List<String> names, Pattern pattern, int keep) {
    List<String> matching = new ArrayList<>();
    for (String n : names) {
      if (pattern.matcher(n).matches()) {
        matching.add(n);
      }
    }
    matching.sort(Comparator.comparingLong((String n) -> seconds(pattern, n)).reversed());
    return matching.size() <= keep ? List.of()
        : List.copyOf(matching.subList(Math.max(0, keep), matching.size()));
  }

  private static long seconds(Pattern pattern, String name) {
    Matcher m = pattern.matcher(name);
    return m.matches() ? Long.parseLong(m.group(1)) : 0;
  }

  /**
   * Removes the {@code etcd-old-*} and {@code db-old-*} dirs of K3s's data dir beyond the
   * {@code keep} newest of each kind.
   *
   * @return the dirs removed
   */
  public static List<Path> prune(K3sLayout k3s, int keep) throws IOException {
    List<Path> removed = new ArrayList<>();
    removed.addAll(prune(k3s.db(), ETCD_OLD, keep));
    removed.addAll(prune(k3s.server(), DB_OLD, keep));
    return removed;
  }

  private static List<Path> prune(Path parent, Pattern pattern, int keep) throws IOException {
    if (!Files.isDirectory(parent)) {
      return List.of();
    }
    List<String> names;
    try (Stream<Path> list = Files.list(parent)) {
      names = list.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
          .map(p -> p.getFileName().toString()).toList();
    }
    List<Path> removed = new ArrayList<>();
    for (String name : beyond(names, pattern, keep)) {
      Path dir = parent.resolve(name);
      deleteTree(dir);
      removed.add(dir);
    }
    return removed;
  }

  /** Deletes {@code dir} and everything in it, never following a link out of it. */
  private static void deleteTree(Path dir) throws IOException {
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
