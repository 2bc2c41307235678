package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** Restore the cluster's etcd from a snapshot (K3s's --cluster-reset-restore-path). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.dryRun) && self.dryRun) || (has(self.confirm) && self.confirm)",
    message = "a restore rolls the whole cluster back: set confirm: true (or dryRun: true)")
@ValidationRule(value = "!has(self.server) || !has(self.peers) || !(self.server in self.peers)",
    message = "peers must not name the server: the server resets, the peers rejoin it")
public class EtcdRestoreSpec {

  @JsonPropertyDescription("The EtcdSnapshot (same namespace) to restore.")
  @Required
  @Size(max = 253)
  public String snapshot;

  @JsonPropertyDescription("Required for a real restore: the cluster's state goes back to the "
      + "snapshot's time, and everything written since is lost.")
  public Boolean confirm;

  @JsonPropertyDescription("What makes this restore a new intent: a restore that ran (its "
      + "journal is kept on the server node) is not run again when the same namespace, name and "
      + "confirmation are applied again (GitOps re-applies a restore after the rollback removed "
      + "it); set a new value, e.g. today's date, to restore again under the same name.")
  @Size(max = 253)
  public String confirmation;

  @JsonPropertyDescription("Check and plan only: fill status.plan, change nothing.")
  public Boolean dryRun;

  @JsonPropertyDescription("Take a snapshot of the current state first.")
  @Default("true")
  public Boolean safetySnapshot;

  @JsonPropertyDescription("The node that resets from the snapshot (K3s's S1); default: the node "
      + "that holds the snapshot file, or for a snapshot only in S3, the first Ready etcd node by "
      + "name. A snapshot in S3 is fetched onto it first.")
  @Size(max = 253)
  @ValidationRule(value = "self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')",
      message = "server must be a node's name (lower-case letters, digits, '-' and '.'): see "
          + "kubectl get nodes -l node-role.kubernetes.io/etcd=true")
  public String server;

  @JsonPropertyDescription("The other etcd server nodes, which stop, move their data aside and "
      + "rejoin; default all other nodes labelled node-role.kubernetes.io/etcd=true.")
  @Size(max = 15)
  @ValidationRule(value = "self.all(p, size(p) <= 253 && "
      + "p.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'))",
      message = "peers must be node names (lower-case letters, digits, '-' and '.')")
  @ValidationRule(value = "self.all(p, self.exists_one(q, q == p))",
      message = "peers must not name a node twice")
  public List<@Size(max = 253) String> peers;

  @JsonPropertyDescription("For an encrypted (age) snapshot: the Secret holding the identity "
      + "that decrypts it. The preflight decrypts it into the snapshot dir on the server node "
      + "before anything stops, and refuses a wrong or missing key.")
  public SnapshotDecryption decryption;

  public boolean dryRun() {
    return Boolean.TRUE.equals(dryRun);
  }

  public boolean confirmed() {
    return Boolean.TRUE.equals(confirm);
  }
}
