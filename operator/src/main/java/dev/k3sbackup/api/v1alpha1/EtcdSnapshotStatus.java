package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What happened to one snapshot. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EtcdSnapshotStatus {

  @JsonPropertyDescription("Pending, Running, Succeeded or Failed.")
  public SnapshotPhase phase;

  @JsonPropertyDescription("What happened and, when something went wrong, what to do.")
  public String message;

  @JsonPropertyDescription("The node the snapshot is taken on / was taken on.")
  public String node;

  @JsonPropertyDescription("The file (and object) name, "
      + "<prefix>-<node>-<unix seconds>[.zip][.age].")
  public String snapshotName;

  @JsonPropertyDescription("The file on the node.")
  public String localPath;

  @JsonPropertyDescription("The S3 copy, when uploaded.")
  public S3Location s3;

  @JsonPropertyDescription("Bytes stored.")
  public Long size;

  @JsonPropertyDescription("sha256 of the stored file.")
  public String sha256;

  @JsonPropertyDescription("The etcd revision when the snapshot began.")
  public Long etcdRevision;

  @JsonPropertyDescription("The etcd member it was streamed from (hex id).")
  public String etcdMemberId;

  @JsonPropertyDescription("Stored as K3s's .zip.")
  public Boolean compressed;

  @JsonPropertyDescription("Encrypted with age (.age): a restore needs the identity.")
  public Boolean encrypted;

  @JsonPropertyDescription("When the first attempt started (RFC 3339).")
  public String startTime;

  @JsonPropertyDescription("When it succeeded or failed for good (RFC 3339).")
  public String completionTime;

  @JsonPropertyDescription("Bytes done while running.")
  public SnapshotProgress progress;

  @JsonPropertyDescription("Attempts made (Jobs created).")
  public Integer attempts;

  @JsonPropertyDescription("The Job of the current or last attempt.")
  public String jobName;

  @JsonPropertyDescription("Found in a snapshot dir or S3 folder without a resource (made by K3s "
      + "itself or before the operator ran).")
  public Boolean adopted;

  @JsonPropertyDescription("The last restore drill: the snapshot restored into a throwaway "
      + "etcd, started and read back (asked for by the k3sbackup.dev/drill annotation or the "
      + "schedule's drill.every).")
  public SnapshotDrill drill;

  @JsonPropertyDescription("The spec generation this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription("Ready, Failed, Uploaded, Available and Restorable conditions, Kubernetes "
      + "style.")
  public List<Condition> conditions = new ArrayList<>();

  public SnapshotPhase phaseOrPending() {
    return phase == null ? SnapshotPhase.Pending : phase;
  }
}
