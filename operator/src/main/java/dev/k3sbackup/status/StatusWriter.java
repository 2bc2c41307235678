package dev.k3sbackup.status;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * Writes a status at once, before the step that depends on it (such as creating a Job named in
 * it). The operator is the only writer of these statuses, so the write is not tied to the
 * resource version it read: a finalizer added meanwhile must not make it fail.
 */
public final class StatusWriter {

  private StatusWriter() {}

  public static <T extends HasMetadata> void patchNow(KubernetesClient client, T resource) {
    T copy = Serialization.clone(resource);
    copy.getMetadata().setResourceVersion(null);
    client.resource(copy).patchStatus();
  }

  /** Replaces the status as a whole (its lists too, which a merge patch may extend). */
  public static <T extends HasMetadata> void replaceNow(KubernetesClient client, T resource) {
    T copy = Serialization.clone(resource);
    copy.getMetadata().setResourceVersion(null);
    client.resource(copy).updateStatus();
  }
}
