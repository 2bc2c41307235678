package dev.k3sbackup.storage;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;

/**
 * One snapshot as found in a store (a local snapshot dir or an S3 folder), whoever made it.
 *
 * @param name the file or object name (with {@code .zip} when compressed)
 * @param storage where it is
 * @param location {@code file:///...} or {@code s3://bucket/key}, as K3s prints it
 * @param size bytes stored
 * @param createdAt the time in its name (or the file's time when the name has none)
 * @param node the node that took it, when known (name, S3 metadata or sidecar)
 * @param compressed stored as K3s's {@code .zip}
 * @param metadata what the {@code .metadata} sidecar and S3 user metadata say, when present
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record StoredSnapshot(
    String name,
    Storage storage,
    String location,
    long size,
    Instant createdAt,
    String node,
    boolean compressed,
    Map<String, String> metadata) {

  /** The two kinds of store. */
  public enum Storage {
    LOCAL,
    S3
  }

  /**
   * K3s's server token hash recorded when it was saved: our sidecar's, else K3s's S3 user
   * metadata; null when neither says.
   */
  @JsonIgnore
  public String recordedTokenHash() {
    if (metadata == null) {
      return null;
    }
    String ours = metadata.get(SnapshotMetadataKeys.TOKEN_HASH);
    return ours != null && !ours.isBlank() ? ours
        : metadata.get(SnapshotMetadataKeys.K3S_TOKEN_HASH);
  }

  /** The sha256 recorded when it was saved (by us), if any. */
  @JsonIgnore
  public String recordedSha256() {
    return metadata == null ? null : metadata.get(SnapshotMetadataKeys.SHA256);
  }
}
