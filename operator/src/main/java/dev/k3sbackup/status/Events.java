package dev.k3sbackup.status;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** Kubernetes Events on our resources, with the same reasons as their conditions. */
public interface Events {

  void normal(HasMetadata on, String reason, String message);

  void warning(HasMetadata on, String reason, String message);
}
