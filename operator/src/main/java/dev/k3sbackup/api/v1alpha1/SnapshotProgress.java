package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How far a running snapshot is. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SnapshotProgress {

  @JsonPropertyDescription("Bytes streamed from etcd so far.")
  public Long bytesDone;

  @JsonPropertyDescription("Bytes etcd said the snapshot has.")
  public Long bytesTotal;
}
