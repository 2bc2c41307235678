package dev.k3sbackup.storage;

/** Names used in the {@code .metadata} sidecar and in S3 user metadata. */
public final class SnapshotMetadataKeys {

  /** K3s's S3 user metadata (canonical MIME header form, as K3s sends it). */
  public static final String K3S_CLUSTER_ID = "K3s-Cluster-Id";
  public static final String K3S_NODE_NAME = "K3s-Node-Name";
  public static final String K3S_TOKEN_HASH = "K3s-Token-Hash";

  /** Our own record, written as a flat JSON object of strings into the sidecar. */
  public static final String SHA256 = "sha256";
  public static final String SIZE = "size";
  public static final String NODE = "node";
  public static final String REVISION = "etcdRevision";
  public static final String MEMBER_ID = "etcdMemberId";
  public static final String CREATED_AT = "createdAt";
  public static final String TOKEN_HASH = "tokenHash";
  public static final String COMPRESSED = "compressed";
  public static final String TOOL = "savedBy";

  private SnapshotMetadataKeys() {}
}
