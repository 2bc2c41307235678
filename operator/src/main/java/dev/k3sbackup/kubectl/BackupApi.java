package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Locale;

/** The EtcdSnapshot and EtcdRestore resources of one namespace, as the plugin uses them. */
final class BackupApi {

  private final KubernetesClient client;
  private final String namespace;

  BackupApi(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  KubernetesClient client() {
    return client;
  }

  String namespace() {
    return namespace;
  }

  List<EtcdSnapshot> snapshots() {
    return client.resources(EtcdSnapshot.class).inNamespace(namespace).list().getItems();
  }

  /** The EtcdSnapshot of that resource name, or null. */
  EtcdSnapshot snapshot(String name) {
    return client.resources(EtcdSnapshot.class).inNamespace(namespace).withName(name).get();
  }

  /** The EtcdRestore of that resource name, or null. */
  EtcdRestore restore(String name) {
    return !isResourceName(name) ? null
        : client.resources(EtcdRestore.class).inNamespace(namespace).withName(name).get();
  }

  /**
   * The EtcdSnapshots a name given on the command line means: the resource of that name, else
   * those whose snapshot file is that name (as {@code ls} shows it, with or without
   * {@code .zip}). Empty when none.
   */
  List<EtcdSnapshot> findSnapshots(String name) {
    EtcdSnapshot byResource = isResourceName(name) ? snapshot(name) : null;
    if (byResource != null) {
      return List.of(byResource);
    }
    return snapshots().stream().filter(s -> s.getStatus() != null
        && s.getStatus().snapshotName != null
        && (s.getStatus().snapshotName.equals(name)
            || s.getStatus().snapshotName.equals(name + SnapshotName.ZIP_SUFFIX))).toList();
  }

  /**
   * Creates {@code resource} named {@code base}, or {@code base-2}, {@code base-3}... when that
   * name is taken (two saves in the same second).
   */
  <T extends HasMetadata> T createUnique(T resource, String base) {
    for (int n = 1; ; n++) {
      resource.getMetadata().setName(n == 1 ? base : base + "-" + n);
      resource.getMetadata().setNamespace(namespace);
      try {
        return client.resource(resource).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || n >= 20) {
          throw e;
        }
      }
    }
  }

  /** A resource name made from a snapshot name prefix, which may hold capitals and '_'. */
  static String resourceName(String prefix, long unixSeconds) {
    return prefix.toLowerCase(Locale.ROOT).replace('_', '-') + "-" + unixSeconds;
  }

  /** Whether {@code name} can name a resource (a DNS subdomain). */
  static boolean isResourceName(String name) {
    return name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
        && name.length() <= 253;
  }

  /**
   * Refuses a {@code flag} value that cannot name one of our resources: a DNS subdomain of at
   * most 63 characters (the CRDs refuse longer names: they become label values).
   */
  static void requireResourceName(String flag, String name) {
    if (name != null && !isResourceName(name)) {
      throw SnapshotException.badInput(flag + " '" + name + "' is not a Kubernetes name: "
          + "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit");
    }
    if (name != null && name.length() > dev.k3sbackup.base.KubeNames.MAX) {
      throw SnapshotException.badInput(flag + " '" + name + "' is " + name.length()
          + " characters: give at most " + dev.k3sbackup.base.KubeNames.MAX + " (the name "
          + "becomes a label value on the operator's Jobs)");
    }
  }
}
