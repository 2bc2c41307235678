package dev.k3sbackup.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/** Whether a Secret the agent Jobs mount a key from is there, asked before a Job would wait. */
public final class SecretKeys {

  private SecretKeys() {}

  /**
   * Why {@code key} of Secret {@code secret} in {@code namespace} cannot be mounted (the Secret
   * or the key is absent), or empty when it can. Only names are read into the message.
   */
  public static Optional<String> missing(KubernetesClient client, String namespace,
      String secret, String key) {
    var found = client.secrets().inNamespace(namespace).withName(secret).get();
    if (found == null) {
      return Optional.of("Secret '" + secret + "' does not exist in namespace " + namespace);
    }
    boolean has = (found.getData() != null && found.getData().containsKey(key))
        || (found.getStringData() != null && found.getStringData().containsKey(key));
    return has ? Optional.empty()
        : Optional.of("Secret '" + secret + "' in namespace " + namespace + " has no key " + key);
  }
}
