package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/**
 * One snapshot to take: K3s's {@code etcd-snapshot save} flags as fields. Immutable once
 * created.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EtcdSnapshotSpec {

  @JsonPropertyDescription("The etcd server node to snapshot (a node labelled "
      + "node-role.kubernetes.io/etcd=true); empty means any one of them.")
  public String node;

  @JsonPropertyDescription("Snapshot name prefix (K3s's --etcd-snapshot-name); the file is "
      + "<prefix>-<node>-<unix seconds>.")
  @Default("on-demand")
  @Pattern("^[A-Za-z0-9][A-Za-z0-9_-]*$")
  public String namePrefix;

  @JsonPropertyDescription("Write K3s's compressed .zip form (K3s's --etcd-snapshot-compress).")
  public Boolean compress;

  @JsonPropertyDescription("The local snapshot dir on the node (always written, as in K3s).")
  public LocalStorage local;

  @JsonPropertyDescription("Also upload to this S3 folder.")
  public S3Storage s3;

  public String namePrefixOrDefault() {
    return namePrefix == null || namePrefix.isBlank() ? "on-demand" : namePrefix;
  }

  public LocalStorage localOrDefault() {
    return local == null ? new LocalStorage() : local;
  }

  public boolean compressed() {
    return Boolean.TRUE.equals(compress);
  }
}
