package dev.k3sbackup.nodescan;

import dev.k3sbackup.cluster.S3Access;
import dev.k3sbackup.cluster.Collaborators;
import dev.k3sbackup.cluster.OperatorSettings;
import dev.k3sbackup.status.Conditions;
import dev.k3sbackup.status.Events;
import dev.k3sbackup.status.StatusWriter;
import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.base.KubeNames;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.cluster.K3sSchedules;
import dev.k3sbackup.cluster.WatchedResources;
import dev.k3sbackup.contract.NodeScanReport;
import dev.k3sbackup.status.SnapshotAvailability;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.AgentResult.ResultType;
import dev.k3sbackup.contract.ListedSnapshot;
import dev.k3sbackup.contract.S3Settings;
import dev.k3sbackup.contract.SnapshotRecord;
import dev.k3sbackup.jobs.AgentJobs;
import dev.k3sbackup.status.SnapshotStatuses;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.S3Location;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.storage.S3SnapshotStore;
import dev.k3sbackup.storage.StoredSnapshot;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node and S3 scans behind the snapshots. Each pass runs a small read-only agent Job
 * ({@code etcd-snapshot scan}) on every Ready etcd node, and acts on the reports of the Jobs the
 * previous pass started, and lists the S3 folders in use:
 *
 * <ul>
 *   <li>snapshots without a resource, made by K3s itself or before the operator ran, become
 *       {@code EtcdSnapshot}s marked adopted (in K3s's snapshot dir and the S3 folders), and
 *       adopted resources whose file or object is gone are removed;
 *   <li>the file and the object behind each Succeeded snapshot of ours are checked to still be
 *       there ({@link SnapshotAvailability}: a condition, an Event, and the metric);
 *   <li>what the node's config.yaml, drop-ins and k3s unit say about K3s's own schedule is kept
 *       for the schedules' condition ({@link K3sSchedules}).
 * </ul>
 */
public final class SnapshotAdopter {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotAdopter.class);
  /** The snapshot dir scanned on each node: K3s's default. */
  private static final K3sLayout K3S = K3sLayout.defaults();

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final AgentJobs jobs;
  private final Events events;
  /** Per node, the scan Job under way, and the names known and dirs listed when it started. */
  private final NodeScanJobs<ScanStart, NodeScanReport> scans;
  private final S3Access s3;
  private final WatchedResources watched;
  private final K3sSchedules k3s;

  /**
   * What a node's scan started with.
   *
   * @param known the snapshot names resources held on that node (their files were there before)
   * @param dirs the snapshot dirs it lists
   */
  private record ScanStart(Set<String> known, List<String> dirs) {}

  public SnapshotAdopter(KubernetesClient client, OperatorSettings settings) {
    this(Collaborators.of(client, settings));
  }

  public SnapshotAdopter(Collaborators with) {
    this.client = with.client();
    this.settings = with.settings();
    this.jobs = with.agentJobs();
    this.events = with.events();
    this.s3 = with.s3();
    this.watched = with.watched();
    this.k3s = with.k3s();
    this.scans = new NodeScanJobs<>(with, "node-scan", ResultType.of(NodeScanReport.class));
  }

  /** One pass: the S3 folders in use, then the node dirs (finished listings, next listings). */
  public synchronized void scan() {
    scanS3();
    scanNodes();
  }

  /**
   * The S3 folders named by schedules and snapshots in the operator's namespace: objects without
   * a resource are adopted (deleting the resource deletes the object), and adopted resources
   * whose object is gone are removed.
   */
  private void scanS3() {
    String ns = settings.home();
    List<EtcdSnapshot> all = watched.list(EtcdSnapshot.class);
    Map<String, S3Storage> folders = new HashMap<>();
    for (var schedule : watched.list(EtcdSnapshotSchedule.class)) {
      var t = schedule.getSpec() == null ? null : schedule.getSpec().snapshotTemplate;
      if (t != null && t.s3 != null) {
        folders.putIfAbsent(S3Settings.folderKey(t.s3), t.s3);
      }
    }
    for (EtcdSnapshot s : all) {
      if (s.getSpec() != null && s.getSpec().s3 != null && !isAdopted(s)) {
        folders.putIfAbsent(S3Settings.folderKey(s.getSpec().s3), s.getSpec().s3);
      }
    }
    Set<String> known = new HashSet<>();
    boolean uploading = false;
    for (EtcdSnapshot s : all) {
      if (s.getStatus() != null && s.getStatus().s3 != null) {
        known.add(s.getStatus().s3.location);
      } else if (!isAdopted(s) && s.getSpec() != null && s.getSpec().s3 != null
          && (s.getStatus() == null || !s.getStatus().phaseOrPending().terminal())) {
        uploading = true; // an upload may be under way: adopt on a later pass
      }
    }
    for (S3Storage folder : folders.values()) {
      List<StoredSnapshot> objects;
      try (S3SnapshotStore store = s3.open(folder, ns)) {
        objects = store.list();
      } catch (RuntimeException e) {
        LOG.warn("cannot list S3 folder {} for adoption: {}", S3Settings.folderKey(folder), e.getMessage());
        continue;
      }
      Set<String> present = new HashSet<>();
      for (StoredSnapshot o : objects) {
        present.add(o.location());
        if (!uploading && !known.contains(o.location())) {
          adoptObject(folder, o);
        }
      }
      for (EtcdSnapshot s : all) {
        if (ours(s) && s.getStatus().s3 != null && s.getSpec().s3 != null
            && S3Settings.folderKey(s.getSpec().s3).equals(S3Settings.folderKey(folder))) {
          recheck(s, SnapshotAvailability.Copy.S3, present.contains(s.getStatus().s3.location));
        }
      }
      for (EtcdSnapshot s : all) {
        if (isAdopted(s) && s.getStatus() != null && s.getStatus().s3 != null
            && s.getStatus().localPath == null && s.getSpec().s3 != null
            && S3Settings.folderKey(s.getSpec().s3).equals(S3Settings.folderKey(folder))
            && !present.contains(s.getStatus().s3.location)) {
          forget(s);
        }
      }
    }
  }

  private void adoptObject(S3Storage folder, StoredSnapshot o) {
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.s3 = folder;
    Optional<EtcdSnapshot> created = createAdopted(resourceName("s3", o.name()), spec);
    if (created.isEmpty()) {
      return;
    }
    S3Location location = S3Location.of(folder.bucket,
        o.location().substring(("s3://" + folder.bucket + "/").length()), o.location(), null);
    finishAdopted(created.get(), SnapshotRecord.found(o.name(), o.node(), null, location,
        o.size(), o.recordedSha256(), o.createdAt(), o.compressed()), "adopted: found at "
        + o.location() + " without a resource (made by K3s itself or before this operator "
        + "ran); deleting this resource deletes the object");
    LOG.info("adopted {} as {}", o.location(), created.get().getMetadata().getName());
  }

  /** Fills an adopted resource's status from what was found, and says so. */
  private void finishAdopted(EtcdSnapshot s, SnapshotRecord found, String message) {
    EtcdSnapshotStatus status = new EtcdSnapshotStatus();
    status.phase = SnapshotPhase.Succeeded;
    status.adopted = true;
    SnapshotStatuses.fill(status, found, found.localPath());
    status.completionTime = found.createdAt().toString();
    status.message = message;
    Conditions.set(status.conditions, Conditions.READY, true, "Adopted", status.message,
        s.getMetadata().getGeneration(), settings.clock().instant());
    s.setStatus(status);
    StatusWriter.replaceNow(client, s);
    events.normal(s, "SnapshotAdopted", status.message);
  }

  /**
   * Node dirs: read finished listings, then start the next ones, remembering the snapshot names
   * resources held when each started (a file whose resource was deleted while its Job ran is in
   * the listing but is no stranger).
   */
  private void scanNodes() {
    scans.collect().forEach((node, scan) -> readReport(node, scan.outcome(), scan.atStart()));
    List<EtcdSnapshot> all = watched.list(EtcdSnapshot.class);
    List<String> dirs = dirsInUse(all);
    scans.startNext((node, name) -> jobs.scan(name, node, dirs),
        () -> node -> new ScanStart(knownNames(node, all), dirs));
  }

  /** K3s's snapshot dir, and every other dir our snapshots and schedules keep files in. */
  private List<String> dirsInUse(List<EtcdSnapshot> all) {
    java.util.TreeSet<String> dirs = new java.util.TreeSet<>();
    dirs.add(K3S.snapshotDir().toString());
    for (EtcdSnapshot s : all) {
      if (s.getSpec() != null && !isAdopted(s)) {
        dirs.add(s.getSpec().localOrDefault().dirOrDefault());
      }
    }
    for (EtcdSnapshotSchedule schedule : watched.list(EtcdSnapshotSchedule.class)) {
      if (schedule.getSpec() != null && schedule.getSpec().snapshotTemplate != null) {
        dirs.add(schedule.getSpec().snapshotTemplate.localOrDefault().dirOrDefault());
      }
    }
    return List.copyOf(dirs);
  }

  /** A Succeeded snapshot of ours (not adopted, not being deleted), with a recorded copy. */
  private static boolean ours(EtcdSnapshot s) {
    return !isAdopted(s) && s.getStatus() != null && s.getSpec() != null
        && s.getStatus().phase == SnapshotPhase.Succeeded && s.getStatus().snapshotName != null
        && s.getMetadata().getDeletionTimestamp() == null;
  }

  /** Records what a scan found of a copy of ours; a change is written and told. */
  private void recheck(EtcdSnapshot s, SnapshotAvailability.Copy copy, boolean present) {
    String before = io.fabric8.kubernetes.client.utils.Serialization.asJson(
        s.getStatus().conditions);
    SnapshotAvailability.record(s, copy, present, settings.clock().instant());
    if (before.equals(io.fabric8.kubernetes.client.utils.Serialization.asJson(
        s.getStatus().conditions))) {
      return; // as the listing shows it: nothing to write (no request per snapshot per scan)
    }
    // only the condition the scans own changes, on the resource as it is now: the snapshot's
    // reconciler owns the rest of its status
    java.util.concurrent.atomic.AtomicReference<Optional<String>> told =
        new java.util.concurrent.atomic.AtomicReference<>(Optional.empty());
    StatusWriter.editNow(client, s, now -> told.set(now.getStatus() == null ? Optional.empty()
        : SnapshotAvailability.record(now, copy, present, settings.clock().instant())));
    Optional<String> changed = told.get();
    if (changed.isEmpty()) {
      return;
    }
    if (present) {
      events.normal(s, "SnapshotFound", changed.get());
    } else {
      events.warning(s, "SnapshotMissing", changed.get());
      LOG.warn("snapshot {}/{}: {}", s.getMetadata().getNamespace(), s.getMetadata().getName(),
          changed.get());
    }
  }

  /** The snapshot names on {@code node} that resources account for. */
  private static Set<String> knownNames(String node, List<EtcdSnapshot> all) {
    Set<String> known = new HashSet<>();
    for (EtcdSnapshot s : all) {
      var st = s.getStatus();
      if (st != null && st.snapshotName != null && (isAdopted(s) || node.equals(st.node))) {
        known.add(st.snapshotName);
      }
    }
    return known;
  }

  private void readReport(String node, Optional<AgentResult<NodeScanReport>> outcome,
      ScanStart start) {
    if (outcome.isEmpty() || !outcome.get().ok() || outcome.get().result() == null) {
      LOG.warn("cannot scan node {}: {}", node,
          outcome.map(AgentResult::message).orElse("no result"));
      return;
    }
    NodeScanReport report = outcome.get().result();
    if (report.k3s() != null) {
      k3s.scanned(node, report.k3s());
    } else if (report.k3sProblem() != null) {
      LOG.warn("node {}: {}", node, report.k3sProblem());
    }
    // each listing is that of the dir asked for in the same place (the path the Job saw may
    // differ from the host's, as it does in the tests' fake kubelet)
    Map<String, Map<String, Long>> listed = new HashMap<>();
    for (int i = 0; i < report.dirs().size() && i < start.dirs().size(); i++) {
      var dir = report.dirs().get(i);
      if (dir.problem() == null && dir.files() != null) {
        listed.put(start.dirs().get(i), dir.files());
      } else {
        LOG.warn("cannot list {} on node {}: {}", start.dirs().get(i), node, dir.problem());
      }
    }
    List<EtcdSnapshot> all = watched.list(EtcdSnapshot.class);
    for (EtcdSnapshot s : all) {
      if (ours(s) && node.equals(s.getStatus().node) && s.getStatus().localPath != null
          && start.known().contains(s.getStatus().snapshotName)) {
        Map<String, Long> files = listed.get(java.nio.file.Path.of(s.getStatus().localPath)
            .getParent().toString());
        if (files != null) {
          recheck(s, SnapshotAvailability.Copy.LOCAL,
              files.containsKey(s.getStatus().snapshotName));
        }
      }
    }
    Map<String, Long> k3sDir = listed.get(K3S.snapshotDir().toString());
    if (k3sDir != null) {
      adoptFrom(node, k3sDir, start.known(), all);
    }
  }

  /** Adopts the files of K3s's snapshot dir on {@code node} that no resource accounts for. */
  private void adoptFrom(String node, Map<String, Long> listing, Set<String> knownAtStart,
      List<EtcdSnapshot> all) {
    for (EtcdSnapshot s : all) {
      var st = s.getStatus();
      if (!isAdopted(s) && st != null && st.jobName != null && st.snapshotName == null
          && !st.phaseOrPending().terminal() && node.equals(st.node)) {
        return; // a snapshot is in the making here: its file is not one to adopt (yet)
      }
    }
    Set<String> known = knownNames(node, all);
    known.addAll(knownAtStart);
    for (var file : listing.entrySet()) {
      if (!known.contains(file.getKey())) {
        SnapshotName.parse(file.getKey()).ifPresent(parsed -> adopt(node,
            new ListedSnapshot(file.getKey(), file.getValue(), parsed.createdAt())));
      }
    }
    for (EtcdSnapshot s : all) {
      if (isAdopted(s) && s.getStatus() != null && node.equals(s.getStatus().node)
          && s.getStatus().localPath != null
          && !listing.containsKey(s.getStatus().snapshotName)) {
        forget(s);
      }
    }
  }

  private static boolean isAdopted(EtcdSnapshot s) {
    return s.getMetadata().getLabels() != null
        && "true".equals(s.getMetadata().getLabels().get(Labels.ADOPTED));
  }

  private void adopt(String node, ListedSnapshot file) {
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = node;
    Optional<EtcdSnapshot> created = createAdopted(resourceName(node, file.name()), spec);
    if (created.isEmpty()) {
      return;
    }
    String dir = K3S.snapshotDir().toString();
    finishAdopted(created.get(), SnapshotRecord.found(file.name(), node,
        K3S.snapshotDir().resolve(file.name()).toString(), null, file.size(), null,
        file.createdAt(), file.name().endsWith(SnapshotName.ZIP_SUFFIX)), "adopted: found in "
        + dir + " on node " + node + " without a resource (made by K3s itself or before this "
        + "operator ran); deleting this resource deletes the file");
    LOG.info("adopted {} on node {} as {}", file.name(), node,
        created.get().getMetadata().getName());
  }

  /**
   * Creates the adopted resource; empty when it exists already with its status. One that exists
   * without status (an earlier pass stopped in between) is returned, to be finished.
   */
  private Optional<EtcdSnapshot> createAdopted(String name, EtcdSnapshotSpec spec) {
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace(settings.home());
    s.getMetadata().setLabels(Map.of(Labels.ADOPTED, "true"));
    s.setSpec(spec);
    try {
      return Optional.of(client.resource(s).create());
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      EtcdSnapshot existing = client.resource(s).get();
      return existing == null || existing.getStatus() != null ? Optional.empty()
          : Optional.of(existing);
    }
  }

  private void forget(EtcdSnapshot s) {
    try {
      client.resource(s).edit(e -> {
        if (e.getMetadata().getAnnotations() == null) {
          e.getMetadata().setAnnotations(new HashMap<>());
        }
        e.getMetadata().getAnnotations().put(Annotations.FILE_GONE, "true");
        return e;
      });
      client.resource(s).delete();
      LOG.info("{} is gone from node {}: removed adopted resource {}", s.getStatus().snapshotName,
          s.getStatus().node, s.getMetadata().getName());
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  /**
   * {@code <node>-<file>} as a resource name: one that fits 63 characters and never collides
   * ({@link KubeNames}: cut, with a hash of the whole, when too long or when the file's name had
   * to change).
   */
  static String resourceName(String node, String file) {
    return KubeNames.of(node + "-" + file);
  }
}
