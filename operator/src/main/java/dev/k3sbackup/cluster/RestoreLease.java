package dev.k3sbackup.cluster;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * One restore at a time, for real: a Lease in the operator's namespace, taken by a restore
 * before its preflight and let go when it ends. The API server decides between two restores
 * created at the same moment (one create, or one update of a stale holder, wins; the other gets
 * 409). A holder that no longer exists, or has ended, is stale: a restore removed by its own
 * rollback cannot keep the next one out.
 */
public final class RestoreLease {

  /** The Lease's name. */
  public static final String NAME = "k3s-etcd-backup-restore";

  private final KubernetesClient client;
  private final String namespace;
  private final Clock clock;

  public RestoreLease(KubernetesClient client, String namespace, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.clock = clock;
  }

  /**
   * Takes the Lease for {@code restore} (or finds it already held by it); returns empty then, or
   * the restore that holds it ("namespace/name").
   */
  public Optional<String> acquire(EtcdRestore restore) {
    String uid = restore.getMetadata().getUid();
    String who = restore.getMetadata().getNamespace() + "/" + restore.getMetadata().getName();
    for (int attempt = 0; attempt < 3; attempt++) {
      Lease lease = leases().withName(NAME).get();
      try {
        if (lease == null) {
          leases().resource(new LeaseBuilder().withNewMetadata().withName(NAME)
              .withNamespace(namespace).addToAnnotations(HOLDER_NAME, who).endMetadata()
              .withNewSpec().withHolderIdentity(uid).withAcquireTime(now()).endSpec().build())
              .create();
          return Optional.empty();
        }
        String holder = lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
        if (uid.equals(holder)) {
          return Optional.empty();
        }
        Optional<String> running = holder == null ? Optional.empty()
            : activeRestore(lease, holder);
        if (running.isPresent()) {
          return running;
        }
        // a stale holder: take it over, if nobody else does first (resourceVersion)
        lease.getSpec().setHolderIdentity(uid);
        lease.getSpec().setAcquireTime(now());
        lease.getMetadata().getAnnotations().put(HOLDER_NAME, who);
        leases().resource(lease).update();
        return Optional.empty();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        // someone else wrote it between our read and write: read again
      }
    }
    Lease lease = leases().withName(NAME).get();
    return Optional.of(lease == null ? "another restore"
        : String.valueOf(lease.getMetadata().getAnnotations().get(HOLDER_NAME)));
  }

  /** Lets the Lease go when {@code restore} holds it. */
  public void release(EtcdRestore restore) {
    Lease lease = leases().withName(NAME).get();
    if (lease != null && lease.getSpec() != null
        && restore.getMetadata().getUid().equals(lease.getSpec().getHolderIdentity())) {
      try {
        leases().resource(lease).lockResourceVersion().delete();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 && e.getCode() != 404) {
          throw e;
        }
      }
    }
  }

  /** The annotation naming the holder as "namespace/name", for messages. */
  static final String HOLDER_NAME = "k3sbackup.dev/restore";

  /**
   * The restore that holds the Lease ("namespace/name"), while it is still under way. It is
   * read by the name the Lease records, not listed across namespaces: the operator may read
   * EtcdRestores only in the namespaces it watches. A holder it may not read is taken as
   * running: one restore at a time is kept even when an operator of a narrower scope cannot see
   * the other's.
   */
  private Optional<String> activeRestore(Lease lease, String uid) {
    String holderName = lease.getMetadata().getAnnotations() == null ? null
        : lease.getMetadata().getAnnotations().get(HOLDER_NAME);
    int slash = holderName == null ? -1 : holderName.indexOf('/');
    if (slash <= 0) {
      return Optional.empty(); // not written by us: stale
    }
    EtcdRestore held;
    try {
      held = client.resources(EtcdRestore.class).inNamespace(holderName.substring(0, slash))
          .withName(holderName.substring(slash + 1)).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 403) {
        throw e;
      }
      return Optional.of(holderName);
    }
    return Optional.ofNullable(held)
        .filter(r -> uid.equals(r.getMetadata().getUid()))
        .filter(r -> r.getStatus() == null || !r.getStatus().phaseOrPending().terminal())
        .map(r -> holderName);
  }

  private ZonedDateTime now() {
    return ZonedDateTime.now(clock);
  }

  private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<Lease,
      io.fabric8.kubernetes.api.model.coordination.v1.LeaseList,
      io.fabric8.kubernetes.client.dsl.Resource<Lease>> leases() {
    return client.leases().inNamespace(namespace);
  }
}
