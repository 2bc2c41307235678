package dev.k3sbackup.base;

/**
 * A snapshot operation failed or was refused. The message is written for the admin who ran it:
 * it names the flag or input at fault and what to do about it, and never contains credentials.
 * Its {@link FailureKind} gives the CLI's exit code.
 */
public class SnapshotException extends RuntimeException {

  private final FailureKind kind;

  public SnapshotException(FailureKind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public SnapshotException(FailureKind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public static SnapshotException badInput(String message) {
    return new SnapshotException(FailureKind.BAD_INPUT, message);
  }

  public static SnapshotException failed(String message, Throwable cause) {
    return new SnapshotException(FailureKind.FAILED, message, cause);
  }

  public FailureKind kind() {
    return kind;
  }
}
