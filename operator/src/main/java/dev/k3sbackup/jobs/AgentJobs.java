package dev.k3sbackup.jobs;

import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.api.v1alpha1.SnapshotDecryption;
import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.base.KubeNames;
import dev.k3sbackup.contract.AgentSettings;
import dev.k3sbackup.contract.RestoreId;
import dev.k3sbackup.contract.S3Settings;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The node agent's Jobs, as the operator builds them: our own jar, pinned to one K3s server
 * node, running an {@code etcd-snapshot} or {@code restore-agent} verb with
 * {@code --result-file /dev/termination-log}, so that the outcome comes back in the Pod's
 * termination message ({@link JobResults}). Host access is what K3s's layout
 * ({@link K3sLayout}) says the verb needs: the snapshot dir and its {@code .metadata} dir, and,
 * read-only, K3s's etcd client TLS dir and server token; the host network reaches etcd on
 * 127.0.0.1:2379. S3 keys come from the Secret as environment variables, never as arguments;
 * age's recipients and identity are mounted from their Secrets as files.
 */
public final class AgentJobs {

  public static final String TERMINATION_LOG = "/dev/termination-log";
  /** The service account whose token lets the agent report progress (only that). */
  public static final String AGENT_SERVICE_ACCOUNT = "k3s-etcd-backup-agent";
  private static final String S3_CA_DIR = "/etc/k3s-etcd-backup/s3-ca";
  /** Where the age recipients (public keys) are mounted from their Secret. */
  static final String AGE_RECIPIENTS_FILE = "/etc/k3s-etcd-backup/age-recipients/recipients";
  /** Where the age identity (a secret key) is mounted from its Secret. */
  static final String AGE_IDENTITY_FILE = "/etc/k3s-etcd-backup/age-identity/identity";
  /** Where K3s's config.yaml and config.yaml.d live. */
  private static final String K3S_CONFIG_DIR = "/etc/rancher/k3s";
  /** Where K3s's install script puts k3s.service and k3s.service.env. */
  private static final String SYSTEMD_UNIT_DIR = "/etc/systemd/system";

  /** The longest a Job other than a save or a node scan may run. */
  private static final long DEADLINE_SECONDS = 3600L;

  /**
   * The longest a node scan's Job may run. A scan reads a few directories in a second or two; one
   * whose Pod cannot start on its node (an image pull that hangs, a kubelet that stopped after
   * the node was listed Ready) is ended by Kubernetes after this, and the next pass starts a new
   * one, instead of holding that node's adoption or journal reads back for the hour of the
   * other Jobs.
   */
  private static final long SCAN_DEADLINE_SECONDS = 600L;

  private final String image;
  private final String home;

  /**
   * @param image the operator's own image, which also runs the agent
   * @param home the operator's namespace: every Job runs there, whichever namespace the resource
   *     it works for is in
   */
  public AgentJobs(String image, String home) {
    this.image = image;
    this.home = home;
  }

  /** Where every node agent Job runs: the operator's namespace. */
  public String namespace() {
    return home;
  }

  /**
   * The name of a Job working for {@code owner}: {@code <owner name><suffix>} for a resource in
   * the operator's namespace {@code home}. For a resource elsewhere (its Jobs run in
   * {@code home} too), the name is made from {@code <namespace>/<name>}, which no name in
   * {@code home} can be, so two resources of the same name never share a Job. Always a DNS-1123
   * label ({@link KubeNames}).
   */
  public static String jobName(HasMetadata owner, String home, String suffix) {
    String ns = owner.getMetadata().getNamespace();
    String base = ns == null || ns.equals(home) ? owner.getMetadata().getName()
        : ns + "/" + owner.getMetadata().getName();
    return KubeNames.of(base, suffix);
  }

  /** {@link #jobName(HasMetadata, String, String)} in this operator's namespace. */
  public String jobName(HasMetadata owner, String suffix) {
    return jobName(owner, home, suffix);
  }

  /**
   * The Job that takes {@code snapshot} on {@code node}, ended by Kubernetes after
   * {@code timeout} (the snapshot's {@code spec.timeout}); with {@code reportProgress} it runs as
   * {@link #AGENT_SERVICE_ACCOUNT} and shows its progress on the snapshot's status.
   */
  public Job save(EtcdSnapshot snapshot, String jobName, String node, boolean reportProgress,
      java.time.Duration timeout) {
    EtcdSnapshotSpec spec = snapshot.getSpec();
    K3sLayout k3s = spec.localOrDefault().layout();
    List<String> args = new ArrayList<>(List.of("etcd-snapshot", "--result-file",
        TERMINATION_LOG, "save", "-o", "json", "--node-name", node,
        "--name", spec.namePrefixOrDefault(), "--next-free-name"));
    if (spec.compressed()) {
      args.add("--snapshot-compress");
    }
    Mounts mounts = new Mounts().snapshots(k3s).etcdAccess(k3s);
    args.addAll(List.of("--dir", k3s.snapshotDir().toString(),
        "--cacert", k3s.etcdCaCert().toString(), "--cert", k3s.etcdClientCert().toString(),
        "--key", k3s.etcdClientKey().toString(), "--token-file", k3s.token().toString()));
    List<EnvVar> env = new ArrayList<>();
    if (spec.s3 != null) {
      args.addAll(s3(spec.s3, mounts, env));
    }
    if (spec.encryption != null) {
      mounts.secretFile("age-recipients", spec.encryption.recipientsSecret,
          spec.encryption.recipientsKeyOrDefault(), AGE_RECIPIENTS_FILE);
      args.addAll(List.of("--encrypt-recipients-file", AGE_RECIPIENTS_FILE));
    }
    Job job = job(snapshot, jobName, node, "save", args, env, mounts);
    job.getSpec().setActiveDeadlineSeconds(Math.max(1L, timeout.toSeconds()));
    if (reportProgress) {
      var pod = job.getSpec().getTemplate().getSpec();
      pod.setServiceAccountName(AGENT_SERVICE_ACCOUNT);
      pod.setAutomountServiceAccountToken(true);
      pod.getContainers().get(0).getEnv().add(new EnvVarBuilder()
          .withName(AgentSettings.PROGRESS_TARGET_ENV).withValue(
              snapshot.getMetadata().getNamespace() + "/" + snapshot.getMetadata().getName())
          .build());
    }
    return job;
  }

  /** The Job that deletes the local file {@code fileName} (and its sidecar) on {@code node}. */
  public Job deleteLocal(EtcdSnapshot snapshot, String jobName, String node, String fileName) {
    K3sLayout k3s = snapshot.getSpec().localOrDefault().layout();
    List<String> args = new ArrayList<>(List.of("etcd-snapshot", "--result-file",
        TERMINATION_LOG, "delete", "--missing-ok", "--dir", k3s.snapshotDir().toString(),
        fileName));
    return job(snapshot, jobName, node, "delete", args, List.of(), new Mounts().snapshots(k3s));
  }

  /** Where a drill Job restores the snapshot: an emptyDir, removed with the Pod. */
  public static final String DRILL_WORK_DIR = "/var/lib/k3s-etcd-backup-drill";

  /**
   * The Job that restore-drills {@code snapshot} on {@code node} ({@code etcd-snapshot drill}):
   * its file is read from K3s's snapshot dir, read-only, or with {@code fromS3} its S3 copy is
   * fetched; etcdutl and etcd v3.6 (the image's) restore and serve it in an emptyDir on
   * 127.0.0.1, on ports the kernel hands out. Nothing of K3s's is written, and no etcd TLS or
   * token is mounted: the drill never talks to the cluster's etcd.
   */
  public Job drill(EtcdSnapshot snapshot, String jobName, String node, boolean fromS3) {
    K3sLayout k3s = snapshot.getSpec().localOrDefault().layout();
    var status = snapshot.getStatus();
    List<String> args = new ArrayList<>(List.of("etcd-snapshot", "--result-file",
        TERMINATION_LOG, "drill", status.snapshotName, "-o", "json", "--from",
        fromS3 ? "s3" : "local", "--work-dir", DRILL_WORK_DIR, "--node-name", node));
    add(args, "--sha256", status.sha256);
    Mounts mounts = new Mounts();
    List<EnvVar> env = new ArrayList<>();
    if (fromS3) {
      args.addAll(s3(snapshot.getSpec().s3, mounts, env));
    } else {
      args.addAll(List.of("--dir", k3s.snapshotDir().toString()));
      mounts.hostPath("snapshots", k3s.snapshotDir(), "Directory", true);
    }
    var encryption = snapshot.getSpec().encryption;
    if (encryption != null && encryption.drillDecryption != null) {
      args.addAll(identity(encryption.drillDecryption,
          "spec.encryption.drillDecryption.identitySecret", mounts));
    }
    mounts.volumes.add(new VolumeBuilder().withName("drill-work").withNewEmptyDir()
        .endEmptyDir().build());
    mounts.mounts.add(new VolumeMountBuilder().withName("drill-work")
        .withMountPath(DRILL_WORK_DIR).build());
    Job job = job(snapshot, jobName, node, "drill", args, env, mounts);
    // etcd serving the restored copy maps its database: room beyond the agent's own heap
    job.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getLimits()
        .put("memory", new Quantity("2Gi"));
    return job;
  }

  /**
   * What every node's restore Job is told when it starts, so that it can carry its steps
   * through while the API server is down.
   *
   * @param restore the EtcdRestore
   * @param id the restore's id, which names its journal on each node
   * @param snapshot the EtcdSnapshot resource restored
   * @param k3s K3s's layout on the nodes: the data dir from the snapshot's storage spec, and the
   *     dir the snapshot file is in
   * @param statusPort the port agents serve their progress on (host network)
   * @param agents each node's agent status URL
   * @param tokenSecret the Secret holding the agents' token (key {@value #AGENT_TOKEN_KEY})
   * @param confirmation the restore's {@code spec.confirmation}, kept in the journals
   * @param oldDataKept how many etcd-old-* / db-old-* dirs the agent leaves on its node
   */
  public record RestoreCall(HasMetadata restore, RestoreId id, String snapshot, K3sLayout k3s,
      int statusPort, Map<String, String> agents, String tokenSecret, String confirmation,
      int oldDataKept) {

    List<String> commonArgs(String node) {
      // an IPv6 host comes in brackets from a URL; the agent binds the bare address
      String address = java.net.URI.create(agents.get(node)).getHost().replaceAll("[\\[\\]]",
          "");
      List<String> args = new ArrayList<>(List.of("restore-agent", "--data-dir",
          k3s.dataDir().toString(), "--snapshot-dir", k3s.snapshotDir().toString(),
          "--config-file", K3S_CONFIG_DIR + "/config.yaml",
          "--keep-old-data", Integer.toString(oldDataKept),
          "--restore-id", id.value(),
          "--restore", restore.getMetadata().getNamespace() + "/"
              + restore.getMetadata().getName(),
          "--snapshot-resource", snapshot, "--node-name", node,
          "--status-address", address, "--status-port", Integer.toString(statusPort),
          "--result-file", TERMINATION_LOG));
      if (confirmation != null && !confirmation.isBlank()) {
        args.addAll(List.of("--confirmation", confirmation));
      }
      return args;
    }
  }

  /** The key of the agents' token in the restore's Secret. */
  public static final String AGENT_TOKEN_KEY = "token";

  /**
   * The restoring server's Job: {@code restore-agent server}, privileged with the host's PID
   * namespace (it stops and starts K3s through systemd) and the whole data dir mounted, and the
   * snapshot dir when it lies outside.
   */
  public Job restoreServer(RestoreCall call, String jobName, String node, String snapshotPath,
      String sha256, List<String> peers, Long revisionBefore) {
    List<String> args = call.commonArgs(node);
    args.addAll(List.of("server", "--snapshot", snapshotPath));
    if (sha256 != null) {
      args.addAll(List.of("--sha256", sha256));
    }
    if (revisionBefore != null) {
      args.addAll(List.of("--revision-before", revisionBefore.toString()));
    }
    for (String peer : peers) {
      args.addAll(List.of("--peer", call.agents().get(peer), "--peer-node", peer));
    }
    return privileged(call, jobName, node, args);
  }

  /** A peer's Job: {@code restore-agent peer}, stops K3s, moves server/db aside, rejoins. */
  public Job restorePeer(RestoreCall call, String jobName, String node, String server) {
    List<String> args = call.commonArgs(node);
    args.addAll(List.of("peer", "--server", call.agents().get(server)));
    return privileged(call, jobName, node, args);
  }

  private Job privileged(RestoreCall call, String jobName, String node, List<String> args) {
    Mounts mounts = new Mounts().hostPath("data-dir", call.k3s().dataDir(), "Directory", false);
    if (!call.k3s().snapshotDirInDataDir()) {
      mounts.hostPath("snapshots", call.k3s().snapshotDir(), "Directory", true);
    }
    // K3s's config file and drop-ins, read for the reset (never written): "" type, as a node
    // may keep all its settings on K3s's command line and have no such dir
    mounts.hostPath("k3s-config", Path.of(K3S_CONFIG_DIR), "", true);
    List<EnvVar> env = List.of(new EnvVarBuilder().withName(
        dev.k3sbackup.restore.AgentAuth.TOKEN_ENV).withNewValueFrom().withNewSecretKeyRef()
        .withName(call.tokenSecret()).withKey(AGENT_TOKEN_KEY).endSecretKeyRef().endValueFrom()
        .build());
    Job job = job(call.restore(), jobName, node, "restore", args, env, mounts);
    var pod = job.getSpec().getTemplate().getSpec();
    pod.setHostPID(true);
    var security = pod.getContainers().get(0).getSecurityContext();
    security.setPrivileged(true);
    security.setAllowPrivilegeEscalation(true);
    job.getSpec().setActiveDeadlineSeconds(7200L);
    return job;
  }

  /**
   * A restore's preflight on the server node: {@code etcd-snapshot prepare-restore} checks the
   * snapshot file (fetching it from S3 first when it is only there) and the server token.
   */
  public Job prepareRestore(HasMetadata restore, String jobName, String node,
      EtcdSnapshot snapshot, boolean fromS3) {
    return prepareRestore(restore, jobName, node, snapshot, fromS3, null);
  }

  /**
   * {@link #prepareRestore(HasMetadata, String, String, EtcdSnapshot, boolean)}; with
   * {@code decryption}, the age identity is mounted from its Secret and an encrypted snapshot is
   * decrypted into the snapshot dir.
   */
  public Job prepareRestore(HasMetadata restore, String jobName, String node,
      EtcdSnapshot snapshot, boolean fromS3, SnapshotDecryption decryption) {
    K3sLayout k3s = snapshot.getSpec().localOrDefault().layout();
    Mounts mounts = new Mounts().snapshots(k3s).etcdAccess(k3s)
        .hostPath("journals", k3s.journalDir(), "DirectoryOrCreate", true);
    var status = snapshot.getStatus();
    List<String> args = new ArrayList<>(List.of("etcd-snapshot", "--result-file",
        TERMINATION_LOG, "prepare-restore", status.snapshotName, "--token-file",
        k3s.token().toString(), "--dir", k3s.snapshotDir().toString(),
        // the members the restore must cover, and this restore's past runs on this node
        "--members", "--cacert", k3s.etcdCaCert().toString(),
        "--cert", k3s.etcdClientCert().toString(), "--key", k3s.etcdClientKey().toString(),
        "--journal-dir", k3s.journalDir().toString(), "--past-restores-of",
        restore.getMetadata().getNamespace() + "/" + restore.getMetadata().getName()));
    add(args, "--sha256", status.sha256);
    List<EnvVar> env = new ArrayList<>();
    if (fromS3) {
      args.addAll(s3(snapshot.getSpec().s3, mounts, env));
    }
    if (decryption != null) {
      args.addAll(identity(decryption, "spec.decryption.identitySecret", mounts));
    }
    return job(restore, jobName, node, "restore-preflight", args, env, mounts);
  }

  /**
   * Mounts the age identity of {@code decryption} from its Secret as a file and returns the
   * agent's flags for it; messages name {@code field} and the Secret, never the key itself.
   */
  private List<String> identity(SnapshotDecryption decryption, String field, Mounts mounts) {
    mounts.secretFile("age-identity", decryption.identitySecret,
        decryption.identityKeyOrDefault(), AGE_IDENTITY_FILE);
    return List.of("--decrypt-identity-file", AGE_IDENTITY_FILE,
        "--decrypt-identity-name", field + " (Secret " + decryption.identitySecret
            + " in namespace " + home + ", key " + decryption.identityKeyOrDefault() + ")");
  }

  /**
   * The Job that reports the restore journals kept on {@code node} under K3s's data dir
   * {@code k3s} ({@code restore-agent journals}), after marking those in {@code acked} as shown.
   */
  public Job journals(String jobName, String node, K3sLayout k3s, List<RestoreId> acked) {
    Path dir = k3s.journalDir();
    Mounts mounts = new Mounts().hostPath("journals", dir, "DirectoryOrCreate", false);
    List<String> args = new ArrayList<>(List.of("restore-agent", "--data-dir",
        k3s.dataDir().toString(), "--journal-dir", dir.toString(), "--node-name", node,
        "--result-file", TERMINATION_LOG, "journals"));
    for (RestoreId id : acked) {
      args.addAll(List.of("--ack", id.value()));
    }
    Job job = job(null, "journals", jobName, node, "journals", args, List.of(), mounts);
    job.getSpec().setActiveDeadlineSeconds(SCAN_DEADLINE_SECONDS);
    return job;
  }

  /**
   * The read-only Job of a node scan on {@code node} ({@code etcd-snapshot scan}): lists each
   * of {@code dirs} (names and sizes), and reads K3s's config.yaml, its drop-ins and its systemd
   * unit for K3s's own snapshot schedule.
   */
  public Job scan(String jobName, String node, List<String> dirs) {
    List<String> args = new ArrayList<>(List.of("etcd-snapshot", "--result-file",
        TERMINATION_LOG, "scan"));
    Mounts mounts = new Mounts();
    for (int i = 0; i < dirs.size(); i++) {
      args.addAll(List.of("--dir", dirs.get(i)));
      mounts.hostPath("dir-" + i, Path.of(dirs.get(i)), "DirectoryOrCreate", true);
    }
    // K3s's own settings: its config dir and, for a systemd install, its unit and env file
    mounts.hostPath("k3s-config", Path.of(K3S_CONFIG_DIR), "DirectoryOrCreate", true);
    mounts.hostPath("systemd-units", Path.of(SYSTEMD_UNIT_DIR), "DirectoryOrCreate", true);
    args.addAll(List.of("--k3s-config", K3S_CONFIG_DIR + "/config.yaml", "--k3s-unit",
        SYSTEMD_UNIT_DIR + "/k3s.service"));
    Job job = job(null, "scan", jobName, node, "scan", args, List.of(), mounts);
    job.getSpec().setActiveDeadlineSeconds(SCAN_DEADLINE_SECONDS);
    return job;
  }

  /**
   * A Job working for {@code owner}, labelled with its kind, namespace and name (the informers
   * map a Job back to its resource by these); owned by it when it is in the operator's namespace
   * (an owner reference cannot cross namespaces).
   */
  private Job job(HasMetadata owner, String name, String node, String operation,
      List<String> args, List<EnvVar> env, Mounts mounts) {
    Job job = job(owner.getKind(), owner.getMetadata().getName(), name, node, operation, args,
        env, mounts);
    String ns = owner.getMetadata().getNamespace();
    job.getMetadata().getLabels().put(Labels.OWNER_NAMESPACE, ns);
    job.getSpec().getTemplate().getMetadata().getLabels().put(Labels.OWNER_NAMESPACE, ns);
    if (owner.getMetadata().getUid() != null) {
      job.getMetadata().getLabels().put(Labels.OWNER_UID, owner.getMetadata().getUid());
    }
    if (home.equals(ns) && owner.getMetadata().getUid() != null) {
      job.addOwnerReference(owner);
    }
    return job;
  }

  private Job job(String ownerKind, String owner, String name, String node, String operation,
      List<String> args, List<EnvVar> env, Mounts mounts) {
    Map<String, String> labels = new java.util.LinkedHashMap<>();
    labels.put(Labels.MANAGED_BY, Labels.MANAGED_BY_US);
    labels.put(Labels.SNAPSHOT, owner);
    labels.put(Labels.OPERATION, operation);
    if (ownerKind != null) {
      labels.put(Labels.OWNER_KIND, ownerKind);
    }
    mounts.scratch();
    return new JobBuilder()
        .withNewMetadata()
          .withName(name)
          .withNamespace(home)
          .withLabels(new java.util.LinkedHashMap<>(labels))
        .endMetadata()
        .withNewSpec()
          .withBackoffLimit(0) // the operator retries, with its own backoff and messages
          .withActiveDeadlineSeconds(DEADLINE_SECONDS)
          .withTtlSecondsAfterFinished(86_400)
          .withNewTemplate()
            .withNewMetadata()
              .withLabels(new java.util.LinkedHashMap<>(labels))
            .endMetadata()
            .withNewSpec()
              .withNodeName(node)
              .withRestartPolicy("Never")
              .withHostNetwork(true)
              .withDnsPolicy("ClusterFirstWithHostNet")
              .withAutomountServiceAccountToken(false)
              .withTolerations(tolerations())
              .withVolumes(mounts.volumes)
              .addNewContainer()
                .withName("agent")
                .withImage(image)
                .withArgs(args)
                .withEnv(env)
                .withTerminationMessagePath(TERMINATION_LOG)
                .withTerminationMessagePolicy("File")
                .withVolumeMounts(mounts.mounts)
                .withNewSecurityContext()
                  .withRunAsUser(0L) // K3s's TLS key and snapshot dir belong to root
                  .withAllowPrivilegeEscalation(false)
                  .withReadOnlyRootFilesystem(true)
                .endSecurityContext()
                .withNewResources()
                  .addToRequests("cpu", new Quantity("100m"))
                  .addToRequests("memory", new Quantity("192Mi"))
                  .addToLimits("memory", new Quantity("512Mi"))
                .endResources()
              .endContainer()
            .endSpec()
          .endTemplate()
        .endSpec()
        .build();
  }

  /** K3s servers are often tainted; the agent must run there anyway. */
  private static List<Toleration> tolerations() {
    List<Toleration> t = new ArrayList<>();
    for (String key : List.of("node-role.kubernetes.io/control-plane",
        "node-role.kubernetes.io/master", Labels.ETCD_NODE_ROLE, "CriticalAddonsOnly")) {
      t.add(new TolerationBuilder().withKey(key).withOperator("Exists").build());
    }
    return t;
  }

  /** The S3 flags of {@code s3}, its CA mounted, its keys from the Secret as environment. */
  private static List<String> s3(S3Storage s3, Mounts mounts, List<EnvVar> env) {
    if (s3.endpointCA != null) {
      mounts.s3Ca(s3);
    }
    if (s3.credentials != null) {
      env.add(secretEnv(S3Settings.ACCESS_KEY_ENV, s3.credentials.secretName,
          s3.credentials.accessKeyIdKeyOrDefault()));
      env.add(secretEnv(S3Settings.SECRET_KEY_ENV, s3.credentials.secretName,
          s3.credentials.secretAccessKeyKeyOrDefault()));
    }
    return S3Settings.toFlags(s3, s3.endpointCA == null ? null
        : S3_CA_DIR + "/" + s3.endpointCA.key);
  }

  private static EnvVar secretEnv(String name, String secret, String key) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef()
        .withName(secret).withKey(key).endSecretKeyRef().endValueFrom().build();
  }

  private static void add(List<String> args, String flag, String value) {
    if (value != null && !value.isBlank()) {
      args.add(flag);
      args.add(value);
    }
  }

  /** The host paths a Job may touch, each mounted at the same path inside the container. */
  private static final class Mounts {
    private final List<Volume> volumes = new ArrayList<>();
    private final List<VolumeMount> mounts = new ArrayList<>();

    /**
     * A small writable {@code /tmp} under the read-only root: netty unpacks BoringSSL's library
     * there, without which the TLS to etcd falls back to the JDK's, slower, decryption.
     */
    void scratch() {
      if (mounts.stream().noneMatch(m -> m.getMountPath().equals("/tmp"))) {
        volumes.add(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("tmp")
            .withNewEmptyDir().withSizeLimit(new Quantity("64Mi")).endEmptyDir().build());
        mounts.add(new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("tmp")
            .withMountPath("/tmp").build());
      }
    }

    /** The snapshot dir and its {@code .metadata} sidecar dir, created when missing. */
    Mounts snapshots(K3sLayout k3s) {
      hostPath("snapshots", k3s.snapshotDir(), "DirectoryOrCreate", false);
      return hostPath("metadata", k3s.metadataDir(), "DirectoryOrCreate", false);
    }

    /** Read-only: K3s's etcd client TLS dir and its server token. */
    Mounts etcdAccess(K3sLayout k3s) {
      hostPath("etcd-tls", k3s.etcdTlsDir(), "Directory", true);
      return hostPath("token", k3s.token(), "File", true);
    }

    Mounts hostPath(String name, Path path, String type, boolean readOnly) {
      volumes.add(new VolumeBuilder().withName(name).withNewHostPath()
          .withPath(path.toString()).withType(type).endHostPath().build());
      mounts.add(new VolumeMountBuilder().withName(name).withMountPath(path.toString())
          .withReadOnly(readOnly).build());
      return this;
    }

    /** One key of a Secret as a read-only file at {@code file} (mode 0400). */
    void secretFile(String name, String secret, String key, String file) {
      Path path = Path.of(file);
      volumes.add(new VolumeBuilder().withName(name).withNewSecret().withSecretName(secret)
          .withDefaultMode(0400).addNewItem().withKey(key)
          .withPath(path.getFileName().toString()).endItem().endSecret().build());
      mounts.add(new VolumeMountBuilder().withName(name)
          .withMountPath(path.getParent().toString()).withReadOnly(true).build());
    }

    void s3Ca(S3Storage s3) {
      VolumeBuilder v = new VolumeBuilder().withName("s3-ca");
      if (s3.endpointCA.secretName != null) {
        v.withNewSecret().withSecretName(s3.endpointCA.secretName).endSecret();
      } else {
        v.withNewConfigMap().withName(s3.endpointCA.configMapName).endConfigMap();
      }
      volumes.add(v.build());
      mounts.add(new VolumeMountBuilder().withName("s3-ca").withMountPath(S3_CA_DIR)
          .withReadOnly(true).build());
    }
  }
}
