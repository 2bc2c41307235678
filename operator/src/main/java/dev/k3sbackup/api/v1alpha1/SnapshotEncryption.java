package dev.k3sbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * Client-side encryption of a snapshot in the age format: encrypted on the node while it
 * streams, before it is written or uploaded, to the X25519 recipients (public keys) in a Secret.
 * Debian's {@code age -d -i KEY} decrypts it without this operator.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SnapshotEncryption {

  /** The default {@link #recipientsKey}. */
  public static final String DEFAULT_RECIPIENTS_KEY = "recipients";

  @JsonPropertyDescription("The Secret, in the operator's namespace, holding the age recipients "
      + "(X25519 public keys age1..., one a line, as age-keygen prints them; # comments "
      + "allowed). The snapshot is stored as <name>[.zip].age; status.sha256 is of the "
      + "encrypted bytes.")
  @Required
  @Size(min = 1, max = 253)
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  public String recipientsSecret;

  @JsonPropertyDescription("The key in that Secret. Default recipients.")
  @Default(DEFAULT_RECIPIENTS_KEY)
  @Size(min = 1, max = 253)
  @Pattern("^[-._a-zA-Z0-9]+$")
  public String recipientsKey;

  @JsonPropertyDescription("The age identity a restore drill decrypts this snapshot with (a "
      + "Secret in the operator's namespace, as an EtcdRestore's spec.decryption). Without it "
      + "a drill of an encrypted snapshot fails saying so; a restore takes its own "
      + "spec.decryption.")
  public SnapshotDecryption drillDecryption;

  public String recipientsKeyOrDefault() {
    return recipientsKey == null || recipientsKey.isBlank() ? DEFAULT_RECIPIENTS_KEY
        : recipientsKey;
  }
}
