package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.k3sbackup.base.K3sLayout;
import io.fabric8.generator.annotation.Default;

/** Where snapshots are kept on the server node (always, as K3s does). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LocalStorage {

  @JsonPropertyDescription("K3s data dir on the node (K3s's --data-dir).")
  @Default(K3sLayout.DEFAULT_DATA_DIR)
  public String dataDir;

  @JsonPropertyDescription("Snapshot dir on the node (K3s's --etcd-snapshot-dir); default "
      + "<dataDir>/server/db/snapshots.")
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
