package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One snapshot the schedule's retention keeps, and which rules keep each of its copies. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RetainedSnapshot {

  @JsonPropertyDescription("The EtcdSnapshot.")
  public String snapshot;

  @JsonPropertyDescription("When it was taken: the time in its name (RFC 3339).")
  public String takenAt;

  @JsonPropertyDescription("Why its local file stays (e.g. 'newest 1 of 5, daily 2026-11-20'); "
      + "empty when it has none.")
  public String local;

  @JsonPropertyDescription("Why its S3 copy stays; empty when it has none.")
  public String s3;
}
