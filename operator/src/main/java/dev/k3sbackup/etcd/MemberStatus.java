package dev.k3sbackup.etcd;

/**
 * What the etcd member reported about itself just before a snapshot.
 *
 * @param memberId the member's id, as etcdctl prints it (hex)
 * @param clusterId the cluster's id (hex)
 * @param revision the key-value store revision at that moment
 * @param version etcd's server version
 * @param dbSize the backend database size in bytes (about the size of the snapshot)
 */
public record MemberStatus(String memberId, String clusterId, long revision, String version,
    long dbSize) {}
