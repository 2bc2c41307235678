package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** Where snapshots are kept on the server node (always, as K3s does). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LocalStorage {

  @JsonPropertyDescription("K3s data dir on the node (K3s's --data-dir).")
  @Default("/var/lib/rancher/k3s")
  public String dataDir;

  @JsonPropertyDescription("Snapshot dir on the node (K3s's --etcd-snapshot-dir); default "
      + "<dataDir>/server/db/snapshots.")
  public String dir;

  /** The data dir, defaulted. */
  public String dataDirOrDefault() {
    return dataDir == null || dataDir.isBlank() ? "/var/lib/rancher/k3s" : dataDir;
  }

  /** The snapshot dir, defaulted from the data dir. */
  public String dirOrDefault() {
    return dir == null || dir.isBlank() ? dataDirOrDefault() + "/server/db/snapshots" : dir;
  }
}
