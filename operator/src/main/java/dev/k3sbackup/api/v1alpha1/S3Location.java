package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where a snapshot's S3 copy is. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class S3Location {

  @JsonPropertyDescription("s3://bucket/key")
  public String location;

  @JsonPropertyDescription("The bucket.")
  public String bucket;

  @JsonPropertyDescription("The object key (folder/name).")
  public String key;

  @JsonPropertyDescription("The endpoint URL it was uploaded to.")
  public String endpoint;

  /** A location; {@code endpoint} may be null when not known. */
  public static S3Location of(String bucket, String key, String location, String endpoint) {
    S3Location l = new S3Location();
    l.bucket = bucket;
    l.key = key;
    l.location = location;
    l.endpoint = endpoint;
    return l;
  }
}
