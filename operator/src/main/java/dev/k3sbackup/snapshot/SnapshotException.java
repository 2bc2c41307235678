package dev.k3sbackup.snapshot;

/**
 * A snapshot operation failed or was refused. The message is written for the admin who ran it:
 * it names the flag or input at fault and what to do about it, and never contains credentials.
 */
public class SnapshotException extends RuntimeException {

  /** Why the operation stopped; the CLI maps this to its exit code. */
  public enum Kind {
    /** The input was refused before anything was touched. */
    BAD_INPUT,
    /** etcd, the disk or S3 failed while working; nothing partial was left behind. */
    FAILED,
    /** The local snapshot is saved and verified, but the S3 upload failed and was aborted. */
    UPLOAD_FAILED
  }

  private final Kind kind;

  public SnapshotException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public SnapshotException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public static SnapshotException badInput(String message) {
    return new SnapshotException(Kind.BAD_INPUT, message);
  }

  public static SnapshotException failed(String message, Throwable cause) {
    return new SnapshotException(Kind.FAILED, message, cause);
  }

  public Kind kind() {
    return kind;
  }
}
