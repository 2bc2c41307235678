package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What a restore will do, decided in preflight. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RestorePlan {

  @JsonPropertyDescription("The node that resets from the snapshot (where the file is).")
  public String server;

  @JsonPropertyDescription("The nodes that stop, move server/db aside and rejoin.")
  public List<String> peers = new ArrayList<>();

  @JsonPropertyDescription("The snapshot file on the server node (for an encrypted snapshot, "
      + "once the preflight has decrypted it: the decrypted file next to it).")
  public String snapshotPath;

  @JsonPropertyDescription("K3s's data dir on the nodes, from the snapshot's storage spec "
      + "(local.dataDir): the restore agents work and keep their journals there.")
  public String dataDir;

  @JsonPropertyDescription("Where the snapshot is fetched from onto the server node, when it is "
      + "not there (an S3 location).")
  public String fetchFrom;

  @JsonPropertyDescription("Each node's restore agent status address (host network), by which "
      + "the agents follow each other while the API server is down.")
  public java.util.Map<String, String> agents = new java.util.TreeMap<>();

  @JsonPropertyDescription("The sha256 the file must have (of the decrypted file, once the "
      + "preflight has decrypted an encrypted snapshot).")
  public String sha256;

  @JsonPropertyDescription("The etcd revision the cluster goes back to.")
  public Long etcdRevision;

  @JsonPropertyDescription("etcd's revision read in preflight: the restored revision is bumped "
      + "past it (and marked compacted), so that every client that watched before relists.")
  public Long revisionBefore;

  @JsonPropertyDescription("The steps, in order, per role.")
  public List<String> steps = new ArrayList<>();
}
