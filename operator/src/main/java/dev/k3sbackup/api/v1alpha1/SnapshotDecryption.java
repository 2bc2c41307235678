package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * The age identity that decrypts an encrypted ({@code .age}) snapshot: only the node agent's
 * Job reads it, mounted from the Secret; it never appears in logs, events or status.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SnapshotDecryption {

  /** The default {@link #identityKey}. */
  public static final String DEFAULT_IDENTITY_KEY = "identity";

  @JsonPropertyDescription("The Secret, in the operator's namespace, holding the age identity "
      + "(the X25519 secret key AGE-SECRET-KEY-1..., as age-keygen writes it) of one of the "
      + "snapshot's recipients.")
  @Required
  @Size(min = 1, max = 253)
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  public String identitySecret;

  @JsonPropertyDescription("The key in that Secret. Default identity.")
  @Default(DEFAULT_IDENTITY_KEY)
  @Size(min = 1, max = 253)
  @Pattern("^[-._a-zA-Z0-9]+$")
  public String identityKey;

  public String identityKeyOrDefault() {
    return identityKey == null || identityKey.isBlank() ? DEFAULT_IDENTITY_KEY : identityKey;
  }
}
