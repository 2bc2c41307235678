package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;

/** The Secret holding the S3 keys; keys are never written inline. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class S3Credentials {

  public static final String DEFAULT_ACCESS_KEY = "AWS_ACCESS_KEY_ID";
  public static final String DEFAULT_SECRET_KEY = "AWS_SECRET_ACCESS_KEY";

  @JsonPropertyDescription("Name of the Secret, in the same namespace.")
  @Required
  public String secretName;

  @JsonPropertyDescription("Key of the access key id in the Secret.")
  @Default(DEFAULT_ACCESS_KEY)
  public String accessKeyIdKey;

  @JsonPropertyDescription("Key of the secret access key in the Secret.")
  @Default(DEFAULT_SECRET_KEY)
  public String secretAccessKeyKey;

  public String accessKeyIdKeyOrDefault() {
    return accessKeyIdKey == null ? DEFAULT_ACCESS_KEY : accessKeyIdKey;
  }

  public String secretAccessKeyKeyOrDefault() {
    return secretAccessKeyKey == null ? DEFAULT_SECRET_KEY : secretAccessKeyKey;
  }
}
