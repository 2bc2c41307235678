package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.S3Location;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  /**
   * The EtcdSnapshots as far as the API server's Table of them tells (its printer columns: the
   * file, the S3 location, size, phase, node), with the full resource only for those still
   * running (their progress). With thousands of snapshots the full resources are tens of MB to
   * decrypt and parse, most of it bookkeeping ({@code managedFields}); the Table is a few
   * percent of that, as {@code kubectl get} reads it (issue 13).
   */
  List<EtcdSnapshot> snapshotSummaries() {
    HttpClient http = client.getHttpClient();
    String url = client.getMasterUrl().toString().replaceAll("/$", "") + "/apis/"
        + HasMetadata.getApiVersion(EtcdSnapshot.class) + "/namespaces/" + namespace + "/"
        + HasMetadata.getPlural(EtcdSnapshot.class)
        + "?includeObject=None"; // the rows' metadata would bring managedFields back
    JsonNode table;
    try {
      HttpResponse<String> r = http.sendAsync(http.newHttpRequestBuilder().uri(url)
          .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").build(),
          String.class).get(client.getConfiguration().getRequestTimeout(),
          java.util.concurrent.TimeUnit.MILLISECONDS);
      if (r.code() != 200) {
        return snapshots(); // an API server without Tables: read the resources themselves
      }
      table = new ObjectMapper().readTree(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KubernetesClientException("interrupted while listing EtcdSnapshots", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
        | java.io.IOException e) {
      throw new KubernetesClientException("cannot list EtcdSnapshots: " + e.getMessage(), e);
    }
    Map<String, Integer> column = new HashMap<>();
    JsonNode columns = table.path("columnDefinitions");
    for (int i = 0; i < columns.size(); i++) {
      column.put(columns.get(i).path("name").asText(), i);
    }
    if (!column.keySet().containsAll(List.of("Name", "Path", "Location", "Size", "Phase",
        "Node"))) {
      return snapshots();
    }
    List<EtcdSnapshot> all = new ArrayList<>();
    for (JsonNode row : table.path("rows")) {
      JsonNode cells = row.path("cells");
      EtcdSnapshot s = new EtcdSnapshot();
      s.getMetadata().setName(text(cells, column.get("Name")));
      s.getMetadata().setNamespace(namespace);
      EtcdSnapshotStatus st = new EtcdSnapshotStatus();
      String phase = text(cells, column.get("Phase"));
      st.phase = phase == null ? null : SnapshotPhase.valueOf(phase);
      if (st.phase == SnapshotPhase.Running) {
        EtcdSnapshot full = snapshot(s.getMetadata().getName());
        if (full != null) {
          all.add(full);
          continue;
        }
      }
      st.node = text(cells, column.get("Node"));
      st.localPath = text(cells, column.get("Path"));
      String location = text(cells, column.get("Location"));
      if (location != null) {
        st.s3 = new S3Location();
        st.s3.location = location;
      }
      String size = text(cells, column.get("Size"));
      st.size = size == null ? null : Long.valueOf(size);
      String stored = st.localPath != null ? st.localPath : location;
      st.snapshotName = stored == null ? null : stored.substring(stored.lastIndexOf('/') + 1);
      st.compressed = st.snapshotName == null ? null
          : st.snapshotName.endsWith(SnapshotName.ZIP_SUFFIX);
      s.setStatus(st);
      all.add(s);
    }
    return all;
  }

  /** A cell's text; null for an empty or missing cell (kubectl prints those as none). */
  private static String text(JsonNode cells, int index) {
    JsonNode c = cells.path(index);
    return c.isMissingNode() || c.isNull() || c.asText().isEmpty() ? null : c.asText();
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
   * The one EtcdSnapshot {@code name} means ({@link #findSnapshots}); none or several are refused
   * with a message that ends in {@code unchanged}, what was therefore not done.
   */
  EtcdSnapshot oneSnapshot(String name, String unchanged) {
    List<EtcdSnapshot> found = findSnapshots(name);
    if (found.isEmpty()) {
      throw SnapshotException.badInput("no EtcdSnapshot named " + name + " in namespace "
          + namespace + " (neither a resource nor a snapshot name); " + unchanged
          + ": check the names with kubectl etcdsnapshot ls -n " + namespace);
    }
    if (found.size() > 1) {
      throw SnapshotException.badInput(name + " names " + found.size() + " EtcdSnapshots ("
          + String.join(", ", found.stream().map(s -> s.getMetadata().getName()).toList())
          + "): give the resource name; " + unchanged);
    }
    return found.get(0);
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
