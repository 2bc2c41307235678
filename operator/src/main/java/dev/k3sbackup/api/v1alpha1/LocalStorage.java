package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.k3sbackup.base.K3sLayout;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Where snapshots are kept on the server node (always, as K3s does). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LocalStorage {

  /** A system dir no snapshot or data dir may be (or lie under), as a CEL regex. */
  static final String SYSTEM_DIRS = K3sLayout.SYSTEM_DIRS;

  @JsonPropertyDescription("K3s data dir on the node (K3s's --data-dir); it must be one the "
      + "operator's ALLOWED_DATA_DIRS names (default only /var/lib/rancher/k3s).")
  @Default(K3sLayout.DEFAULT_DATA_DIR)
  @Size(max = 1024)
  @ValidationRule(value = "self.startsWith('/') && !self.contains('..')",
      message = "dataDir must be an absolute path without '..', e.g. /var/lib/rancher/k3s")
  @ValidationRule(value = "!self.matches('" + SYSTEM_DIRS + "')",
      message = "dataDir must not be / or a system dir such as /etc: give K3s's data dir, e.g. "
          + "/var/lib/rancher/k3s")
  public String dataDir;

  @JsonPropertyDescription("Snapshot dir on the node (K3s's --etcd-snapshot-dir); default "
      + "<dataDir>/server/db/snapshots. It must lie under the data dir, or under a dir the "
      + "operator's ALLOWED_SNAPSHOT_DIRS names.")
  @Size(max = 1024)
  @ValidationRule(value = "self.startsWith('/') && !self.contains('..')",
      message = "dir must be an absolute path without '..', e.g. "
          + "/var/lib/rancher/k3s/server/db/snapshots")
  @ValidationRule(value = "!self.matches('" + SYSTEM_DIRS + "')",
      message = "dir must not be / or a system dir such as /etc: snapshot Jobs write there as "
          + "root; leave it out for /var/lib/rancher/k3s/server/db/snapshots")
  public String dir;

  /** K3s's layout on the node: this data dir and snapshot dir, defaulted as K3s does. */
  public K3sLayout layout() {
    return K3sLayout.of(dataDir, dir);
  }

  /** The data dir, defaulted. */
  public String dataDirOrDefault() {
    return layout().dataDir().toString();
  }

  /** The snapshot dir, defaulted from the data dir. */
  public String dirOrDefault() {
    return layout().snapshotDir().toString();
  }
}
