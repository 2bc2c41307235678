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

  /**
   * Every {@code kind} in the watched namespaces, listed page by page and kept without
   * managedFields as the caches keep them ({@link LeanItemStore#list}).
   */
  public <T extends HasMetadata> List<T> list(Class<T> kind) {
    if (settings.watchesAllNamespaces()) {
      return LeanItemStore.list(client, kind, null);
    }
    List<T> all = new ArrayList<>();
    for (String ns : settings.watched()) {
      all.addAll(LeanItemStore.list(client, kind, ns));
    }
    return all;
  }
}
