package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** An S3 folder to upload to as well, named after K3s's --etcd-s3-* flags. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class S3Storage {

  public static final String DEFAULT_ENDPOINT = "s3.amazonaws.com";

  @JsonPropertyDescription("Endpoint host[:port] (K3s's --etcd-s3-endpoint), without scheme: "
      + "insecure: true picks http. The operator's ALLOWED_S3_ENDPOINTS may limit it.")
  @Default(DEFAULT_ENDPOINT)
  @Size(max = 253)
  @ValidationRule(value = "!self.contains('://') && !self.contains('/')",
      message = "endpoint must be host[:port] without scheme or path, e.g. s3.amazonaws.com or "
          + "minio.example.com:9000 (insecure: true for http)")
  public String endpoint;

  @JsonPropertyDescription("CA bundle for the endpoint, from a Secret or ConfigMap key "
      + "(K3s's --etcd-s3-endpoint-ca).")
  public KeyReference endpointCA;

  @JsonPropertyDescription("Do not verify the endpoint's certificate.")
  public Boolean skipSSLVerify;

  @JsonPropertyDescription("Bucket; it must exist (never created).")
  @Required
  @Pattern("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
  public String bucket;

  @JsonPropertyDescription("Region (K3s's --etcd-s3-region).")
  @Default("us-east-1")
  public String region;

  @JsonPropertyDescription("Folder inside the bucket, e.g. k3s or clusters/prod.")
  @Pattern("^$|^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$")
  public String folder;

  @JsonPropertyDescription("Use plain http (K3s's --etcd-s3-insecure).")
  public Boolean insecure;

  @JsonPropertyDescription("Per-request timeout, e.g. 5m (K3s's --etcd-s3-timeout).")
  @Default("5m")
  @Pattern("^([0-9]+h)?([0-9]+m)?([0-9]+s)?$")
  @Size(max = 32)
  @ValidationRule(value = "self.matches('[1-9]')", message = "timeout must be a positive "
      + "duration such as 5m or 90s: 0s would fail every request")
  public String timeout;

  @JsonPropertyDescription("Secret with the access keys; without it requests are anonymous.")
  public S3Credentials credentials;
}
