package dev.k3sbackup.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists our resources where the operator acts (its own namespace by default, see
 * {@link OperatorSettings#watched()}), and nowhere else: its RBAC grants no more.
 */
public final class WatchedResources {

  private final KubernetesClient client;
  private final OperatorSettings settings;

  public WatchedResources(KubernetesClient client, OperatorSettings settings) {
    this.client = client;
    this.settings = settings;
  }

  /** Every {@code kind} in the watched namespaces. */
  public <T extends HasMetadata> List<T> list(Class<T> kind) {
    if (settings.watchesAllNamespaces()) {
      return client.resources(kind).inAnyNamespace().list().getItems();
    }
    List<T> all = new ArrayList<>();
    for (String ns : settings.watched()) {
      all.addAll(client.resources(kind).inNamespace(ns).list().getItems());
    }
    return all;
  }
}
