package dev.k3sbackup.monitoring;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.cluster.LeanItemStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Watches the three kinds (in the operator's namespaces) for the metrics, on every replica, leader
 * or not: schedules and restores as they are, and snapshots turning Failed for the failure
 * counter. Read-only: it never writes to the API.
 */
public final class BackupResourceWatch implements AutoCloseable {

  private final BackupMetrics metrics;
  private final Clock clock;
  private final List<SharedIndexInformer<EtcdSnapshotSchedule>> schedules = new ArrayList<>();
  private final List<SharedIndexInformer<EtcdSnapshot>> snapshots = new ArrayList<>();
  private final List<SharedIndexInformer<EtcdRestore>> restores = new ArrayList<>();

  private BackupResourceWatch(BackupMetrics metrics, Clock clock) {
    this.metrics = metrics;
    this.clock = clock;
  }

  /**
   * Starts watching and returns once the first listing is in.
   *
   * @param namespaces where; empty for all namespaces
   */
  public static BackupResourceWatch start(KubernetesClient client, Set<String> namespaces,
      BackupMetrics metrics, Clock clock) {
    BackupResourceWatch watch = new BackupResourceWatch(metrics, clock);
    List<String> where = namespaces.isEmpty() ? java.util.Collections.singletonList(null)
        : List.copyOf(namespaces);
    for (String ns : where) {
      watch.schedules.add(inform(client, EtcdSnapshotSchedule.class, ns, watch.scheduleEvents()));
      watch.snapshots.add(inform(client, EtcdSnapshot.class, ns, watch.snapshotEvents()));
      watch.restores.add(inform(client, EtcdRestore.class, ns, null));
    }
    return watch;
  }

  private static <T extends HasMetadata> SharedIndexInformer<T> inform(KubernetesClient client,
      Class<T> type, String namespace, ResourceEventHandler<T> handler) {
    var resources = client.resources(type);
    var informer = (namespace == null ? resources.inAnyNamespace()
        : resources.inNamespace(namespace)).withLimit(LeanItemStore.LIST_PAGE)
        .runnableInformer(0);
    informer.itemStore(new LeanItemStore<>());
    if (handler != null) {
      informer.addEventHandler(handler);
    }
    informer.run();
    return informer;
  }

  private ResourceEventHandler<EtcdSnapshotSchedule> scheduleEvents() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(EtcdSnapshotSchedule s) {
        metrics.scheduleSeen(s);
      }

      @Override
      public void onUpdate(EtcdSnapshotSchedule before, EtcdSnapshotSchedule after) {
      }

      @Override
      public void onDelete(EtcdSnapshotSchedule s, boolean finalStateUnknown) {
        metrics.scheduleGone(s);
      }
    };
  }

  private ResourceEventHandler<EtcdSnapshot> snapshotEvents() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(EtcdSnapshot s) {
        // one already Failed when first listed failed before this process watched: not counted
      }

      @Override
      public void onUpdate(EtcdSnapshot before, EtcdSnapshot after) {
        if (failed(after) && !failed(before)) {
          metrics.snapshotFailed(after);
        }
      }

      @Override
      public void onDelete(EtcdSnapshot s, boolean finalStateUnknown) {
      }
    };
  }

  private static boolean failed(EtcdSnapshot s) {
    return s.getStatus() != null && s.getStatus().phase == SnapshotPhase.Failed;
  }

  /** Recomputes the gauges from what is watched now (called before each scrape). */
  public void refresh() {
    metrics.refresh(all(schedules), all(snapshots), all(restores), clock.instant());
  }

  private static <T> Collection<T> all(List<SharedIndexInformer<T>> informers) {
    List<T> items = new ArrayList<>();
    for (SharedIndexInformer<T> informer : informers) {
      items.addAll(informer.getStore().list());
    }
    return items;
  }

  /** Whether every watch is connected (for readiness). */
  public boolean watching() {
    return List.of(schedules, snapshots, restores).stream().flatMap(List::stream)
        .allMatch(SharedIndexInformer::isWatching);
  }

  @Override
  public void close() {
    List.of(schedules, snapshots, restores).stream().flatMap(List::stream)
        .forEach(SharedIndexInformer::close);
  }
}
