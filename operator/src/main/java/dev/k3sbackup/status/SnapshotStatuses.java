package dev.k3sbackup.status;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.contract.SnapshotRecord;

/**
 * One way from a snapshot record to an {@code EtcdSnapshot}'s status: a save Job's record, or
 * what was found of a snapshot that had no resource (adopted).
 */
public final class SnapshotStatuses {

  private SnapshotStatuses() {}

  /**
   * Copies what {@code record} says about the stored snapshot into {@code status}.
   *
   * @param localPath the file on the node as the host sees it (an agent sees the same path
   *     through its hostPath mount), or null when there is no local copy
   */
  public static void fill(EtcdSnapshotStatus status, SnapshotRecord record, String localPath) {
    status.snapshotName = record.name();
    if (record.node() != null) {
      status.node = record.node();
    }
    status.localPath = localPath;
    status.size = record.size();
    status.sha256 = record.sha256();
    status.etcdRevision = record.etcdRevision();
    status.etcdMemberId = record.etcdMemberId();
    status.compressed = record.compressed();
    status.encrypted = dev.k3sbackup.base.SnapshotName.isEncrypted(record.name()) ? true : null;
    status.s3 = record.s3();
  }
}
