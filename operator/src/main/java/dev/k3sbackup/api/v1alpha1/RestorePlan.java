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

  @JsonPropertyDescription("The snapshot file on the server node.")
  public String snapshotPath;

  @JsonPropertyDescription("The sha256 the file must have.")
  public String sha256;

  @JsonPropertyDescription("The etcd revision the cluster goes back to.")
  public Long etcdRevision;

  @JsonPropertyDescription("The steps, in order, per role.")
  public List<String> steps = new ArrayList<>();
}
