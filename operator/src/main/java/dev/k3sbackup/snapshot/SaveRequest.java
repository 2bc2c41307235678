package dev.k3sbackup.snapshot;

import dev.k3sbackup.encryption.AgeRecipients;
import dev.k3sbackup.etcd.EtcdEndpoint;
import dev.k3sbackup.storage.S3Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything one save needs, in K3s's terms.
 *
 * @param etcd the one member to stream from
 * @param etcdTimeout how long to wait for etcd to answer (connect, status, each chunk)
 * @param dir the local snapshot dir ({@code --dir})
 * @param prefix the name prefix ({@code --name})
 * @param nodeName this node's name ({@code --node-name})
 * @param compress write K3s's {@code .zip} form
 * @param s3 where to upload as well, or null
 * @param tokenHash K3s's server token hash, or null
 * @param clusterId K3s's cluster id (kube-system namespace UID), or null
 * @param encryptTo the age recipients to encrypt to while streaming, or null to store it plain
 * @param nextFreeSecond when the name is taken on this node (another save started in the same
 *     second: two schedules firing together), take the next second's name instead of refusing
 */
public record SaveRequest(
    EtcdEndpoint etcd,
    Duration etcdTimeout,
    Path dir,
    String prefix,
    String nodeName,
    boolean compress,
    S3Config s3,
    String tokenHash,
    String clusterId,
    AgeRecipients encryptTo,
    boolean nextFreeSecond) {

  public SaveRequest(EtcdEndpoint etcd, Duration etcdTimeout, Path dir, String prefix,
      String nodeName, boolean compress, S3Config s3, String tokenHash, String clusterId) {
    this(etcd, etcdTimeout, dir, prefix, nodeName, compress, s3, tokenHash, clusterId, null);
  }

  public SaveRequest(EtcdEndpoint etcd, Duration etcdTimeout, Path dir, String prefix,
      String nodeName, boolean compress, S3Config s3, String tokenHash, String clusterId,
      AgeRecipients encryptTo) {
    this(etcd, etcdTimeout, dir, prefix, nodeName, compress, s3, tokenHash, clusterId,
        encryptTo, false);
  }
}
