package dev.k3sbackup.base;

/**
 * Why an operation stopped: the one failure kind of the CLI's exit codes, the
 * {@link SnapshotException} and the result a node agent Job reports to the operator.
 */
public enum FailureKind {
  /** The input was refused before anything was touched; retrying will not help. */
  BAD_INPUT(2),
  /** etcd, the disk or S3 failed while working; nothing partial was left behind. */
  FAILED(1),
  /** The local snapshot is saved and verified, but the S3 upload failed and was aborted. */
  UPLOAD_FAILED(3);

  private final int exitCode;

  FailureKind(int exitCode) {
    this.exitCode = exitCode;
  }

  /** The CLI's exit code for this kind (the README's table). */
  public int exitCode() {
    return exitCode;
  }
}
