package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.restore.RevisionBump;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.realcluster.RealCluster;
import dev.k3sbackup.testing.realcluster.ServerNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Whether a client that watched before a restore sees the rollback, on a real API server: a
 * fabric8 informer on ConfigMaps is opened, ConfigMap {@code a} is written, etcd is snapshotted,
 * ConfigMap {@code b} is written; then K3s stops (etcd, API server, controller manager and
 * scheduler: one process in K3s), the snapshot is restored into etcd's data dir as K3s's
 * {@code --cluster-reset-restore-path} restores it (etcdutl, hash check, no bump), and K3s starts
 * again. Once as K3s does it, with the snapshot as taken; once with the copy {@link RevisionBump}
 * makes (revision bumped, marked compacted). The informer stands for every client outside K3s's
 * process that watched through the restore: the operator, kubelets, other workloads.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestoreRollbackRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  /** How long the informer is given to see the rollback once the API server serves again. */
  static final Duration BOUND = Duration.ofSeconds(120);
  /**
   * How long an informer is watched after a restore without the bump: well past fabric8's longest
   * reconnect backoff (32 s); an established watch is not ended by the API server for 30 minutes
   * or more.
   */
  static final Duration WATCHED = Duration.ofSeconds(60);
  /** Writes after the snapshot in the "many writes" cases: the informer's resourceVersion is
   * that far ahead of the restored revision. */
  static final int MANY = 400;

  /**
   * K3s's restore as it is: the API server starts on the restored etcd, whose revision its own
   * start-up writes soon take past the informer's resourceVersion; the informer's watch resumes
   * there, is accepted, and never hears of {@code b} again. A write after the restore reaches it
   * only when its revision is past the informer's: {@code d} lands at or below it when the API
   * server's own writes have not yet passed it (one CI run gave {@code d} revision 268, the
   * informer's own, and it never arrived), so which it is is read, not assumed.
   */
  @Test
  @Order(1)
  void withoutTheBumpAnInformerKeepsWhatTheRollbackRemovedWhenFewWritesFollowedTheSnapshot()
      throws Exception {
    Outcome o = restoreUnderAnInformer("k3s-few-writes", false, 0);
    System.err.println(o.report());

    assertThat(o.bGone()).as("without the bump the informer relisted: K3s's restore would "
        + "not need the bump\n" + o.report()).isNull();
    assertThat(o.dSeen()).as("d is seen exactly when its revision is past the informer's\n"
        + o.report()).isEqualTo(o.rvOfD() > o.rvOfB());
  }

  /**
   * With the informer's resourceVersion ahead of the restored revision the API server accepts its
   * watch from the future and sends nothing: the informer keeps {@code b} and misses every write
   * until the revision climbs past where it was ({@code d} here).
   */
  @Test
  @Order(2)
  void withoutTheBumpAnInformerAheadOfTheRestoredRevisionAlsoMissesNewWrites() throws Exception {
    Outcome o = restoreUnderAnInformer("k3s-many-writes", false, MANY);
    System.err.println(o.report());

    assertThat(o.rvOfB()).as(o.report()).isGreaterThan(o.revisionAfter());
    assertThat(o.rvOfD()).as(o.report()).isLessThanOrEqualTo(o.rvOfB());
    assertThat(o.bGone()).as("without the bump the informer relisted: K3s's restore would "
        + "not need the bump\n" + o.report()).isNull();
    assertThat(o.dSeen()).as(o.report()).isFalse();
  }

  @Test
  @Order(3)
  void withTheBumpedSnapshotAnInformerOpenedBeforeSeesTheRollbackWithinTheBound()
      throws Exception {
    Outcome o = restoreUnderAnInformer("bumped", true, MANY);
    System.err.println(o.report());

    assertThat(o.bGoneAfterReady()).as(o.report()).isNotNull();
    assertThat(o.bGoneAfterReady()).as(o.report()).isLessThan(BOUND);
    assertThat(o.aKept()).as(o.report()).isTrue();
    assertThat(o.dSeen()).as(o.report()).isTrue();
    assertThat(o.revisionAfter()).as(o.report()).isGreaterThan(1_000_000_000L);
  }

  /**
   * What the informer did.
   *
   * @param name the case
   * @param apiReady when the API server was ready again, since the restore began (K3s stopped)
   * @param bGone when {@code b} left the informer's store since the restore began, or null when
   *     it had not {@link #BOUND} after the API server was ready
   * @param aKept whether {@code a} (in the snapshot) stayed in the store
   * @param dSeen whether {@code d}, written once the API server was ready again, reached it
   * @param rvOfD the resourceVersion the API server gave {@code d}
   * @param rvOfB the resourceVersion the informer had seen when the restore began
   * @param revisionAfter etcd's revision once the API server was ready again
   * @param events the informer's events and the restore's steps, in seconds since the restore
   *     began
   * @param oldWatch what the API server answered a watch from that resourceVersion, at the end
   */
  record Outcome(String name, Duration apiReady, Duration bGone, boolean aKept, boolean dSeen,
      long rvOfD, long rvOfB,
      long revisionAfter, List<String> events, String oldWatch) {

    Duration bGoneAfterReady() {
      return bGone == null ? null : bGone.minus(apiReady);
    }

    String report() {
      return "=== restore " + name + ": API server ready " + apiReady.toMillis() + " ms after K3s "
          + "stopped; b " + (bGone == null ? "still in the informer's store at the end"
          : "gone from the informer's store " + bGone.toMillis() + " ms after K3s stopped")
          + "; a kept: " + aKept + "; d (written after, resourceVersion " + rvOfD + ") seen: "
          + dSeen
          + "; informer at resourceVersion " + rvOfB
          + ", etcd's revision once the API server was ready " + revisionAfter
          + "\n  informer events:\n    " + String.join("\n    ", events)
          + "\n  a watch from resourceVersion " + rvOfB + " answers: " + oldWatch;
    }
  }

  private Outcome restoreUnderAnInformer(String name, boolean bump, int writesAfter)
      throws Exception {
    var client = cluster.client();
    ServerNode server = cluster.server();
    String ns = "rollback-" + name;
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns)
        .endMetadata().build()).create();
    List<String> events = new CopyOnWriteArrayList<>();
    AtomicLong origin = new AtomicLong(System.nanoTime());
    AtomicLong bDeleted = new AtomicLong();
    SharedIndexInformer<ConfigMap> informer = client.configMaps().inNamespace(ns).inform(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(ConfigMap cm) {
            events.add(at(origin) + " ADD " + cm.getMetadata().getName() + " rv "
                + cm.getMetadata().getResourceVersion());
          }

          @Override
          public void onUpdate(ConfigMap old, ConfigMap cm) {
            // the writes after the snapshot are many: only the resync-free real updates count
          }

          @Override
          public void onDelete(ConfigMap cm, boolean finalStateUnknown) {
            if (cm.getMetadata().getName().equals("b")) {
              bDeleted.compareAndSet(0, System.nanoTime());
            }
            events.add(at(origin) + " DELETE " + cm.getMetadata().getName()
                + (finalStateUnknown ? " (final state unknown: found missing on a relist)" : ""));
          }
        }, 0);
    try {
      create(ns, "a");
      RealCluster.await("the informer has a", Duration.ofSeconds(30),
          () -> informer.getStore().getByKey(ns + "/a") != null);
      Path snapshot = cluster.work().resolve("snapshot-" + name);
      Processes.Result saved = server.etcdctl("snapshot", "save", snapshot.toString());
      assertThat(saved.exitCode()).as(saved.output()).isZero();
      create(ns, "b");
      if (writesAfter > 0) {
        create(ns, "c");
        for (int i = 0; i < writesAfter; i++) {
          client.configMaps().inNamespace(ns).withName("c").edit(cm -> {
            cm.getData().put("k", cm.getData().get("k") + ".");
            return cm;
          });
        }
      }
      String lastRv = client.configMaps().inNamespace(ns).list().getMetadata()
          .getResourceVersion();
      RealCluster.await("the informer has every write", Duration.ofSeconds(60),
          () -> informer.getStore().getByKey(ns + "/b") != null
              && Long.parseLong(informer.lastSyncResourceVersion()) >= Long.parseLong(lastRv)
              - 5);
      Path restoreFrom = snapshot;
      if (bump) {
        restoreFrom = new RevisionBump(cluster.binaries().get("etcdutl"), Duration.ofMinutes(2))
            .bump(snapshot, Files.createDirectories(cluster.work().resolve("bump-" + name)),
                OptionalLong.empty()).file();
      }
      long rvOfB = Long.parseLong(informer.lastSyncResourceVersion());
      origin.set(System.nanoTime());
      events.add(at(origin) + " --- restore begins: K3s (etcd and the control plane) stops");
      server.stopK3s();
      server.restoreEtcd(restoreFrom);
      server.startK3s();
      Duration apiReady = Duration.ofNanos(System.nanoTime() - origin.get());
      long revisionAfter = revision(server);
      events.add(at(origin) + " --- API server ready again (etcd revision " + revisionAfter
          + ")");
      long rvOfD = Long.parseLong(create(ns, "d").getMetadata().getResourceVersion());
      events.add(at(origin) + " --- d written, resourceVersion " + rvOfD);
      long deadline = System.nanoTime() + (bump ? BOUND : WATCHED).toNanos();
      while (!(bDeleted.get() != 0 && informer.getStore().getByKey(ns + "/d") != null)
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      boolean dSeen = informer.getStore().getByKey(ns + "/d") != null;
      Duration gone = bDeleted.get() == 0 ? null
          : Duration.ofNanos(bDeleted.get() - origin.get());
      boolean aKept = informer.getStore().getByKey(ns + "/a") != null;
      events.add(at(origin) + " --- observed: b " + (informer.getStore().getByKey(ns + "/b")
          == null ? "absent" : "present") + " in the informer's store; etcd's revision now "
          + revision(server) + ", the informer's last resourceVersion "
          + informer.lastSyncResourceVersion());
      String oldWatch = cluster.kubectl("get", "--raw", "/api/v1/namespaces/" + ns
          + "/configmaps?watch=1&timeoutSeconds=5&resourceVersion=" + rvOfB).output().strip();
      return new Outcome(name, apiReady, gone, aKept, dSeen, rvOfD, rvOfB, revisionAfter, List.copyOf(events),
          oldWatch.isEmpty() ? "(nothing: the watch is accepted and stays silent)"
          : oldWatch.length() > 800 ? oldWatch.substring(0, 800) + "..." : oldWatch);
    } finally {
      informer.close();
    }
  }

  private static ConfigMap create(String ns, String name) {
    return cluster.client().configMaps().inNamespace(ns).resource(new ConfigMapBuilder()
        .withNewMetadata().withName(name).endMetadata().addToData("k", name).build()).create();
  }

  private static long revision(ServerNode server) {
    String json = server.etcdctl("endpoint", "status", "-w", "json").output();
    var m = java.util.regex.Pattern.compile("\"revision\":(\\d+)").matcher(json);
    if (!m.find()) {
      throw new AssertionError("no revision in " + json);
    }
    return Long.parseLong(m.group(1));
  }

  private static String at(AtomicLong origin) {
    return String.format("%+8.1f s", (System.nanoTime() - origin.get()) / 1e9);
  }
}
