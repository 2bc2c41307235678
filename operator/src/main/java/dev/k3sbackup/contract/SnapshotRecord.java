package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.k3sbackup.api.v1alpha1.S3Location;
import dev.k3sbackup.storage.SnapshotMetadataKeys;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a save produced, as printed by {@code save -o json|yaml}, reported by a save Job and read
 * back by the operator into an {@code EtcdSnapshot}'s status; also what a snapshot found without
 * a resource is known by ({@link #found}).
 *
 * @param name the file name (K3s's {@code <prefix>-<node>-<unix>}, plus {@code .zip})
 * @param node the node it was taken on
 * @param localPath the verified file on that node, when it is on one
 * @param s3 where it was uploaded, when it was
 * @param size bytes of the stored file
 * @param sha256 sha256 of the stored file (of the zip when compressed)
 * @param snapshotSize bytes of etcd's raw snapshot stream (equals size when not compressed)
 * @param etcdRevision the store revision the snapshot holds
 * @param etcdMemberId the member it was streamed from (hex)
 * @param etcdClusterId the cluster's id (hex)
 * @param etcdVersion the member's etcd version
 * @param createdAt when it was taken (the time in its name)
 * @param compressed stored as K3s's {@code .zip}
 * @param tokenHash K3s's server token hash (12 hex), when the token file was readable
 * @param s3Error why the S3 upload failed, when it did (the local file is kept)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SnapshotRecord(
    String name,
    String node,
    String localPath,
    S3Location s3,
    long size,
    String sha256,
    long snapshotSize,
    Long etcdRevision,
    String etcdMemberId,
    String etcdClusterId,
    String etcdVersion,
    Instant createdAt,
    boolean compressed,
    String tokenHash,
    String s3Error) {

  /**
   * A snapshot found in a snapshot dir or S3 folder (made by K3s itself, or before the operator
   * ran), as far as its name, size and sidecar tell.
   */
  public static SnapshotRecord found(String name, String node, String localPath, S3Location s3,
      long size, String sha256, java.time.Instant createdAt, boolean compressed) {
    return new SnapshotRecord(name, node, localPath, s3, size, sha256, size, null, null, null,
        null, createdAt, compressed, null, null);
  }

  /** The sidecar's content: a flat JSON object of strings, which K3s keeps as opaque metadata. */
  public Map<String, String> sidecar() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(SnapshotMetadataKeys.TOOL, "k3s-etcd-backup");
    m.put(SnapshotMetadataKeys.NODE, node);
    m.put(SnapshotMetadataKeys.SIZE, Long.toString(size));
    m.put(SnapshotMetadataKeys.SHA256, sha256);
    m.put(SnapshotMetadataKeys.CREATED_AT, createdAt.toString());
    m.put(SnapshotMetadataKeys.COMPRESSED, Boolean.toString(compressed));
    if (etcdRevision != null) {
      m.put(SnapshotMetadataKeys.REVISION, Long.toString(etcdRevision));
    }
    if (etcdMemberId != null) {
      m.put(SnapshotMetadataKeys.MEMBER_ID, etcdMemberId);
    }
    if (tokenHash != null) {
      m.put(SnapshotMetadataKeys.TOKEN_HASH, tokenHash);
    }
    return m;
  }

  /** {@link #sidecar()} as a JSON object (flat strings, so no JSON library is needed). */
  public byte[] sidecarJson() {
    StringBuilder json = new StringBuilder("{\n");
    var entries = sidecar().entrySet().iterator();
    while (entries.hasNext()) {
      var e = entries.next();
      json.append("  ").append(quote(e.getKey())).append(": ").append(quote(e.getValue()))
          .append(entries.hasNext() ? ",\n" : "\n");
    }
    return json.append("}\n").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    StringBuilder q = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        default -> {
          if (c < 0x20) {
            q.append(String.format("\\u%04x", (int) c));
          } else {
            q.append(c);
          }
        }
      }
    }
    return q.append('"').toString();
  }

  /**
   * This record without K3s's token hash, as it leaves a node agent Job (its output and its
   * result can be read by whoever may read Pods in the operator's namespace); the hash stays in
   * the snapshot's sidecar and S3 metadata, where a restore's preflight reads it.
   */
  public SnapshotRecord withoutTokenHash() {
    return new SnapshotRecord(name, node, localPath, s3, size, sha256, snapshotSize,
        etcdRevision, etcdMemberId, etcdClusterId, etcdVersion, createdAt, compressed, null,
        s3Error);
  }

  public SnapshotRecord withS3(S3Location location, String error) {
    return new SnapshotRecord(name, node, localPath, location, size, sha256, snapshotSize,
        etcdRevision, etcdMemberId, etcdClusterId, etcdVersion, createdAt, compressed, tokenHash,
        error);
  }
}
