package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.k3sbackup.base.GoDuration;
import dev.k3sbackup.base.SnapshotName;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.time.Duration;

/**
 * One snapshot to take: K3s's {@code etcd-snapshot save} flags as fields. Immutable once
 * created.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EtcdSnapshotSpec {

  /** The default {@link #timeout}. */
  public static final String DEFAULT_TIMEOUT = "30m";

  @JsonPropertyDescription("The etcd server node to snapshot (a node labelled "
      + "node-role.kubernetes.io/etcd=true); empty means any one of them.")
  @Size(max = 253)
  @ValidationRule(value = "self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')",
      message = "node must be a node's name (lower-case letters, digits, '-' and '.'): see "
          + "kubectl get nodes -l node-role.kubernetes.io/etcd=true")
  public String node;

  @JsonPropertyDescription("Snapshot name prefix (K3s's --etcd-snapshot-name); the file is "
      + "<prefix>-<node>-<unix seconds>. Default k3sbackup-on-demand (k3sbackup-scheduled for a "
      + "schedule's runs): never K3s's own etcd-snapshot or on-demand, whose retention deletes "
      + "every file that starts with them. At most 40 characters.")
  @Pattern("^[A-Za-z0-9][A-Za-z0-9_-]*$")
  @Size(max = 253)
  @ValidationRule(value = "self.size() <= 40", message = "namePrefix must be at most 40 "
      + "characters: the file is <prefix>-<node>-<unix seconds>; use a shorter prefix")
  public String namePrefix;

  @JsonPropertyDescription("Write K3s's compressed .zip form (K3s's --etcd-snapshot-compress).")
  public Boolean compress;

  @JsonPropertyDescription("The local snapshot dir on the node (always written, as in K3s).")
  public LocalStorage local;

  @JsonPropertyDescription("Also upload to this S3 folder.")
  public S3Storage s3;

  @JsonPropertyDescription("Encrypt the snapshot with age while it streams, before it is "
      + "written or uploaded (X25519 recipients from a Secret). A restore of it needs "
      + "spec.decryption.identitySecret.")
  public SnapshotEncryption encryption;

  @JsonPropertyDescription("The longest a save may take (a Go duration such as 30m or 1h30m), "
      + "etcd's stream and the upload together; a save that runs into K3s's defrag or a slow "
      + "etcd is stopped then, with a message, and retried. Default 30m.")
  @Default(DEFAULT_TIMEOUT)
  @Pattern("^([0-9]+h)?([0-9]+m)?([0-9]+s)?$")
  @Size(max = 32)
  @ValidationRule(value = "self.matches('[1-9]')", message = "timeout must be a positive "
      + "duration such as 30m, 90s or 1h30m: 0s would stop every save at once")
  public String timeout;

  public String namePrefixOrDefault() {
    return namePrefix == null || namePrefix.isBlank() ? SnapshotName.ON_DEMAND_PREFIX
        : namePrefix;
  }

  /**
   * {@link #timeout}, defaulted.
   *
   * @throws dev.k3sbackup.base.SnapshotException naming the field when it is not a positive
   *     duration
   */
  public Duration timeoutOrDefault() {
    Duration d = GoDuration.parse("spec.timeout",
        timeout == null || timeout.isBlank() ? DEFAULT_TIMEOUT : timeout);
    if (d.isZero() || d.isNegative()) {
      throw dev.k3sbackup.base.SnapshotException.badInput("spec.timeout '" + timeout
          + "' must be a positive duration such as 30m, 90s or 1h30m");
    }
    return d;
  }

  public LocalStorage localOrDefault() {
    return local == null ? new LocalStorage() : local;
  }

  public boolean compressed() {
    return Boolean.TRUE.equals(compress);
  }
}
