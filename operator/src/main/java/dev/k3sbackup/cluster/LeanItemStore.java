package dev.k3sbackup.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.List;

/**
 * An informer's cache that keeps each resource without its {@code metadata.managedFields}: the
 * server-side-apply bookkeeping the operator never reads, parsed by fabric8 into nested maps that
 * made up two thirds of the heap with 5,000 EtcdSnapshots (issue 13). Patches are computed
 * between two copies of the cached resource, so dropping the field changes no patch.
 */
public final class LeanItemStore<T extends HasMetadata> extends BasicItemStore<T> {

  /** Informers paginate their first listing in pages of this many resources. */
  public static final long LIST_PAGE = 500;

  public LeanItemStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  /**
   * Every resource of {@code type} in {@code namespace} (all namespaces when null), listed page by
   * page and kept without managedFields, as the caches keep them.
   */
  public static <R extends HasMetadata> List<R> list(KubernetesClient client, Class<R> type,
      String namespace) {
    List<R> all = new ArrayList<>();
    String next = null;
    do {
      ListOptions page = new ListOptionsBuilder().withLimit(LIST_PAGE).withContinue(next).build();
      var resources = client.resources(type);
      KubernetesResourceList<R> items = namespace == null
          ? resources.inAnyNamespace().list(page) : resources.inNamespace(namespace).list(page);
      for (R r : items.getItems()) {
        r.getMetadata().setManagedFields(null);
        all.add(r);
      }
      next = items.getMetadata() == null ? null : items.getMetadata().getContinue();
    } while (next != null && !next.isEmpty());
    return all;
  }

  @Override
  public T put(String key, T obj) {
    if (obj.getMetadata() != null) {
      obj.getMetadata().setManagedFields(null);
    }
    return super.put(key, obj);
  }
}
