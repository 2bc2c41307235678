package dev.k3sbackup.retention;

/**
 * Where copies are counted together, as K3s counts them: one node's snapshot dir, or one S3
 * folder.
 *
 * @param kind a node's dir or an S3 folder
 * @param where the node's name, or the folder's {@code s3://bucket/folder/}
 */
public record Store(Kind kind, String where) {

  /** The two kinds of store. */
  public enum Kind {
    LOCAL,
    S3
  }

  /** The snapshot dir of {@code node}. */
  public static Store local(String node) {
    return new Store(Kind.LOCAL, node == null ? "" : node);
  }

  /** The S3 folder at {@code folder}. */
  public static Store s3(String folder) {
    return new Store(Kind.S3, folder);
  }

  /** How a message names it. */
  public String describe() {
    return kind == Kind.LOCAL ? "the snapshot dir of " + where : "its S3 folder";
  }
}
