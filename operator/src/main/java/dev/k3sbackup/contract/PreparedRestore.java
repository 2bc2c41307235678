package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.k3sbackup.etcd.EtcdMemberInfo;
import java.util.List;

/**
 * What {@code prepare-restore} found on the node that will reset: the snapshot is there (fetched
 * from S3 if it was only there) and verifies; the etcd members the restore must cover; the
 * restores this node has journaled before (so that a resource applied again does not restore
 * again).
 *
 * @param path the snapshot file on the node
 * @param sha256 its sha256
 * @param size its size
 * @param fetched whether it was fetched from S3 just now
 * @param tokenChecked whether the server token hash recorded with the snapshot was compared with
 *     this node's token (and matched); false when either was unknown. Neither hash leaves the
 *     node: a Job's result is readable by whoever may read Pods in the operator's namespace.
 * @param members etcd's members, as the node's etcd lists them (null when not asked)
 * @param pastRestores the restores journaled on this node (null when not asked)
 * @param etcdRevision etcd's revision now (with the members; null when not asked): the restore
 *     bumps the restored revision past it
 * @param decryptedPath for an encrypted snapshot, the decrypted file the preflight wrote next to
 *     it (the file the reset reads); null otherwise
 * @param decryptedSha256 that file's sha256
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PreparedRestore(String path, String sha256, long size, boolean fetched,
    boolean tokenChecked, List<EtcdMemberInfo> members, List<PastRestore> pastRestores,
    Long etcdRevision, String decryptedPath, String decryptedSha256) {

  public PreparedRestore(String path, String sha256, long size, boolean fetched,
      boolean tokenChecked, List<EtcdMemberInfo> members, List<PastRestore> pastRestores,
      Long etcdRevision) {
    this(path, sha256, size, fetched, tokenChecked, members, pastRestores, etcdRevision, null,
        null);
  }

  public PreparedRestore(String path, String sha256, long size, boolean fetched,
      boolean tokenChecked) {
    this(path, sha256, size, fetched, tokenChecked, null, null, null);
  }

  public PreparedRestore(String path, String sha256, long size, boolean fetched,
      boolean tokenChecked, List<EtcdMemberInfo> members, List<PastRestore> pastRestores) {
    this(path, sha256, size, fetched, tokenChecked, members, pastRestores, null);
  }
}
