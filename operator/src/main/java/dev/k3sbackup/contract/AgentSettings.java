package dev.k3sbackup.contract;

/** What a node agent Job is given besides its arguments, on both sides of the Job boundary. */
public final class AgentSettings {

  /** Environment: {@code <namespace>/<name>} of the EtcdSnapshot a save shows its progress on. */
  public static final String PROGRESS_TARGET_ENV = "K3S_ETCD_BACKUP_STATUS_OF";
  /** The port restore agents serve their status on, on every server node's host network. */
  public static final int RESTORE_STATUS_PORT = 9791;

  private AgentSettings() {}
}
