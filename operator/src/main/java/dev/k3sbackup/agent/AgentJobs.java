package dev.k3sbackup.agent;

import dev.k3sbackup.api.Labels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.LocalStorage;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The node agent's Jobs: our own jar, pinned to one K3s server node, running an
 * {@code etcd-snapshot} verb with {@code --result-file /dev/termination-log}, so that the outcome
 * comes back in the Pod's termination message. Host access is the snapshot dir, its
 * {@code .metadata} sidecar dir, and, read-only, K3s's etcd client TLS dir and server token; the
 * host network reaches etcd on 127.0.0.1:2379. S3 keys come from the Secret as environment
 * variables, never as arguments.
 */
public final class AgentJobs {

  public static final String TERMINATION_LOG = "/dev/termination-log";
  private static final String S3_CA_DIR = "/etc/k3s-etcd-backup/s3-ca";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String image;

  /** @param image the operator's own image, which also runs the agent */
  public AgentJobs(String image) {
    this.image = image;
  }

  /** The service account whose token lets the agent report progress (only that). */
  public static final String AGENT_SERVICE_ACCOUNT = "k3s-etcd-backup-agent";

  /**
   * The Job that takes {@code snapshot} on {@code node}; with {@code reportProgress} it runs as
   * {@link #AGENT_SERVICE_ACCOUNT} and shows its progress on the snapshot's status.
   */
  public Job save(EtcdSnapshot snapshot, String jobName, String node, boolean reportProgress) {
    EtcdSnapshotSpec spec = snapshot.getSpec();
    List<String> args = new ArrayList<>(List.of("etcd-snapshot", "--result-file",
        TERMINATION_LOG, "save", "-o", "json", "--node-name", node,
        "--name", spec.namePrefixOrDefault()));
    if (spec.compressed()) {
      args.add("--snapshot-compress");
    }
    Mounts mounts = new Mounts(spec.localOrDefault(), true);
    args.addAll(mounts.dirArgs());
    args.addAll(mounts.etcdArgs());
    List<EnvVar> env = new ArrayList<>();
    if (spec.s3 != null) {
      args.addAll(s3Args(spec.s3, mounts));
      env.addAll(s3Env(spec.s3));
    }
    Job job = job(snapshot, jobName, node, "save", args, env, mounts);
    if (reportProgress) {
      var pod = job.getSpec().getTemplate().getSpec();
      pod.setServiceAccountName(AGENT_SERVICE_ACCOUNT);
      pod.setAutomountServiceAccountToken(true);
      pod.getContainers().get(0).getEnv().add(new EnvVarBuilder()
          .withName(StatusProgressReporter.ENV_TARGET).withValue(
              snapshot.getMetadata().getNamespace() + "/" + snapshot.getMetadata().getName())
          .build());
    }
    return job;
  }

  /** The Job that deletes the local file {@code fileName} (and its sidecar) on {@code node}. */
  public Job deleteLocal(EtcdSnapshot snapshot, String jobName, String node, String fileName) {
    Mounts mounts = new Mounts(snapshot.getSpec().localOrDefault(), false);
    List<String> args = new ArrayList<>(List.of("etcd-snapshot", "--result-file",
        TERMINATION_LOG, "delete", "--missing-ok"));
    args.addAll(mounts.dirArgs());
    args.add(fileName);
    return job(snapshot, jobName, node, "delete", args, List.of(), mounts);
  }

  /**
   * What every node's restore Job is told when it starts, so that it can carry its steps
   * through while the API server is down.
   *
   * @param restore the EtcdRestore
   * @param snapshot the EtcdSnapshot resource restored
   * @param dataDir K3s's data dir on the nodes
   * @param statusPort the port agents serve their progress on (host network)
   * @param agents each node's agent status URL
   */
  public record RestoreCall(HasMetadata restore, String snapshot, String dataDir,
      int statusPort, Map<String, String> agents) {

    List<String> commonArgs(String node) {
      String address = java.net.URI.create(agents.get(node)).getHost();
      return new ArrayList<>(List.of("restore-agent", "--data-dir", dataDir,
          "--restore-id", "restore-" + restore.getMetadata().getUid(),
          "--restore", restore.getMetadata().getNamespace() + "/"
              + restore.getMetadata().getName(),
          "--snapshot-resource", snapshot, "--node-name", node,
          "--status-address", address, "--status-port", Integer.toString(statusPort),
          "--result-file", TERMINATION_LOG));
    }
  }

  /**
   * The restoring server's Job: {@code restore-agent server}, privileged with the host's PID
   * namespace (it stops and starts K3s through systemd) and the whole data dir mounted.
   */
  public Job restoreServer(RestoreCall call, String jobName, String node, String snapshotPath,
      String sha256, List<String> peers) {
    List<String> args = call.commonArgs(node);
    args.addAll(List.of("server", "--snapshot", snapshotPath));
    if (sha256 != null) {
      args.addAll(List.of("--sha256", sha256));
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
    Mounts mounts = new Mounts();
    mounts.hostPath("data-dir", call.dataDir(), "Directory", false);
    Job job = job(call.restore().getMetadata().getNamespace(),
        call.restore().getMetadata().getName(), jobName, node, "restore", args, List.of(),
        mounts);
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
    LocalStorage local = snapshot.getSpec().localOrDefault();
    Mounts mounts = new Mounts(local, false);
    String server = local.dataDirOrDefault() + "/server";
    mounts.hostPath("token", server + "/token", "File", true);
    var status = snapshot.getStatus();
    List<String> args = new ArrayList<>(List.of("etcd-snapshot", "--result-file",
        TERMINATION_LOG, "prepare-restore", status.snapshotName, "--token-file",
        server + "/token"));
    args.addAll(mounts.dirArgs());
    add(args, "--sha256", status.sha256);
    add(args, "--token-hash", status.tokenHash);
    List<EnvVar> env = new ArrayList<>();
    if (fromS3) {
      args.addAll(s3Args(snapshot.getSpec().s3, mounts));
      env.addAll(s3Env(snapshot.getSpec().s3));
    }
    return job(restore.getMetadata().getNamespace(), restore.getMetadata().getName(), jobName,
        node, "restore-preflight", args, env, mounts);
  }

  /**
   * The Job that reports the restore journals kept on {@code node} ({@code restore-agent
   * journals}), after marking those in {@code acked} as shown.
   */
  public Job journals(String namespace, String jobName, String node, String dataDir,
      List<String> acked) {
    Mounts mounts = new Mounts();
    String dir = dataDir + "/server/k3s-etcd-backup";
    mounts.hostPath("journals", dir, "DirectoryOrCreate", false);
    List<String> args = new ArrayList<>(List.of("restore-agent", "--data-dir", dataDir,
        "--journal-dir", dir, "--node-name", node, "--result-file", TERMINATION_LOG,
        "journals"));
    for (String id : acked) {
      args.addAll(List.of("--ack", id));
    }
    return job(namespace, "journals", jobName, node, "journals", args, List.of(), mounts);
  }

  /** The Job that lists the snapshot dir on {@code node} (for adoption), names only. */
  public Job list(String namespace, String jobName, String node, LocalStorage local) {
    Mounts mounts = new Mounts(local, false);
    List<String> args = new ArrayList<>(List.of("etcd-snapshot", "--result-file",
        TERMINATION_LOG, "ls", "--brief", "-o", "json"));
    args.addAll(mounts.dirArgs());
    return job(namespace, "scan", jobName, node, "list", args, List.of(), mounts);
  }

  private Job job(EtcdSnapshot owner, String name, String node, String operation,
      List<String> args, List<EnvVar> env, Mounts mounts) {
    return job(owner.getMetadata().getNamespace(), owner.getMetadata().getName(), name, node,
        operation, args, env, mounts);
  }

  private Job job(String namespace, String snapshot, String name, String node, String operation,
      List<String> args, List<EnvVar> env, Mounts mounts) {
    return new JobBuilder()
        .withNewMetadata()
          .withName(name)
          .withNamespace(namespace)
          .addToLabels(Labels.MANAGED_BY, Labels.MANAGED_BY_US)
          .addToLabels(Labels.SNAPSHOT, snapshot)
          .addToLabels(Labels.OPERATION, operation)
        .endMetadata()
        .withNewSpec()
          .withBackoffLimit(0) // the operator retries, with its own backoff and messages
          .withActiveDeadlineSeconds(3600L)
          .withTtlSecondsAfterFinished(86_400)
          .withNewTemplate()
            .withNewMetadata()
              .addToLabels(Labels.MANAGED_BY, Labels.MANAGED_BY_US)
              .addToLabels(Labels.SNAPSHOT, snapshot)
              .addToLabels(Labels.OPERATION, operation)
            .endMetadata()
            .withNewSpec()
              .withNodeName(node)
              .withRestartPolicy("Never")
              .withHostNetwork(true)
              .withDnsPolicy("ClusterFirstWithHostNet")
              .withAutomountServiceAccountToken(false)
              .withTolerations(tolerations())
              .withVolumes(mounts.volumes())
              .addNewContainer()
                .withName("agent")
                .withImage(image)
                .withArgs(args)
                .withEnv(env)
                .withTerminationMessagePath(TERMINATION_LOG)
                .withTerminationMessagePolicy("File")
                .withVolumeMounts(mounts.mounts())
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
        "node-role.kubernetes.io/master", "node-role.kubernetes.io/etcd", "CriticalAddonsOnly")) {
      t.add(new TolerationBuilder().withKey(key).withOperator("Exists").build());
    }
    return t;
  }

  private static List<String> s3Args(S3Storage s3, Mounts mounts) {
    List<String> a = new ArrayList<>(List.of("--s3", "--s3-bucket", s3.bucket));
    add(a, "--s3-endpoint", s3.endpoint);
    add(a, "--s3-region", s3.region);
    add(a, "--s3-folder", s3.folder);
    add(a, "--s3-timeout", s3.timeout);
    if (Boolean.TRUE.equals(s3.insecure)) {
      a.add("--s3-insecure");
    }
    if (Boolean.TRUE.equals(s3.skipSSLVerify)) {
      a.add("--s3-skip-ssl-verify");
    }
    if (s3.endpointCA != null) {
      a.addAll(List.of("--s3-endpoint-ca", S3_CA_DIR + "/" + s3.endpointCA.key));
      mounts.addS3Ca(s3);
    }
    return a;
  }

  private static List<EnvVar> s3Env(S3Storage s3) {
    if (s3.credentials == null) {
      return List.of();
    }
    return List.of(secretEnv("AWS_ACCESS_KEY_ID", s3.credentials.secretName,
            s3.credentials.accessKeyIdKeyOrDefault()),
        secretEnv("AWS_SECRET_ACCESS_KEY", s3.credentials.secretName,
            s3.credentials.secretAccessKeyKeyOrDefault()));
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

  /** The host paths a Job may touch, mounted at the same paths inside the container. */
  private static final class Mounts {
    private final List<Volume> volumes = new ArrayList<>();
    private final List<VolumeMount> mounts = new ArrayList<>();
    private final LocalStorage local;

    Mounts() {
      this.local = new LocalStorage();
    }

    Mounts(LocalStorage local, boolean save) {
      this.local = local;
      String dir = local.dirOrDefault();
      hostPath("snapshots", dir, "DirectoryOrCreate", false);
      hostPath("metadata", parentOf(dir) + "/.metadata", "DirectoryOrCreate", false);
      if (save) {
        String server = local.dataDirOrDefault() + "/server";
        hostPath("etcd-tls", server + "/tls/etcd", "Directory", true);
        hostPath("token", server + "/token", "File", true);
      }
    }

    /** Every host path the agent uses, explicitly (each under one of the mounts). */
    List<String> dirArgs() {
      return List.of("--dir", local.dirOrDefault());
    }

    List<String> etcdArgs() {
      String server = local.dataDirOrDefault() + "/server";
      return List.of("--cacert", server + "/tls/etcd/server-ca.crt",
          "--cert", server + "/tls/etcd/client.crt", "--key", server + "/tls/etcd/client.key",
          "--token-file", server + "/token");
    }

    private void hostPath(String name, String path, String type, boolean readOnly) {
      volumes.add(new VolumeBuilder().withName(name).withNewHostPath().withPath(path)
          .withType(type).endHostPath().build());
      mounts.add(new VolumeMountBuilder().withName(name).withMountPath(path)
          .withReadOnly(readOnly).build());
    }

    void addS3Ca(S3Storage s3) {
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

    List<Volume> volumes() {
      return volumes;
    }

    List<VolumeMount> mounts() {
      return mounts;
    }

    private static String parentOf(String dir) {
      String d = dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
      int slash = d.lastIndexOf('/');
      return slash <= 0 ? "/" : d.substring(0, slash);
    }
  }

  /**
   * What the agent left in the Pod's termination message.
   *
   * @param exitCode the container's exit code
   * @param ok whether the agent reported success
   * @param kind BAD_INPUT, FAILED or UPLOAD_FAILED on failure
   * @param message the agent's message, or Kubernetes's reason when the agent said nothing
   * @param result the verb's result, when there is one
   */
  public record Outcome(int exitCode, boolean ok, String kind, String message, JsonNode result) {}

  /** Reads the agent's outcome from a finished Pod; empty while it has not terminated. */
  public static Optional<Outcome> outcome(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    for (var cs : pod.getStatus().getContainerStatuses()) {
      ContainerStateTerminated t = cs.getState() == null ? null : cs.getState().getTerminated();
      if (t == null) {
        continue;
      }
      int code = t.getExitCode() == null ? -1 : t.getExitCode();
      String text = t.getMessage();
      if (text != null && text.strip().startsWith("{")) {
        try {
          JsonNode n = JSON.readTree(text);
          return Optional.of(new Outcome(code, n.path("ok").asBoolean(false),
              n.path("kind").asText(null), n.path("message").asText(null), n.get("result")));
        } catch (Exception e) {
          // fall through to the plain reason
        }
      }
      String reason = t.getReason() == null ? "the agent exited " + code : t.getReason()
          + " (exit " + code + ")";
      return Optional.of(new Outcome(code, code == 0, code == 0 ? null : "FAILED",
          text == null || text.isBlank() ? reason : text, null));
    }
    return Optional.empty();
  }

  /** What the newest finished Pod of Job {@code jobName} reported; empty while none has. */
  public static Optional<Outcome> outcomeOf(KubernetesClient client, String namespace,
      String jobName) {
    return client.pods().inNamespace(namespace).withLabels(Map.of("job-name", jobName)).list()
        .getItems().stream()
        .sorted(Comparator.comparing((Pod p) -> p.getMetadata().getCreationTimestamp(),
            Comparator.nullsFirst(Comparator.naturalOrder())).reversed())
        .map(AgentJobs::outcome).flatMap(Optional::stream).findFirst();
  }

  /**
   * {@code base + suffix} as a Job name: Job names must stay within 63 characters (they become
   * Pod labels), so {@code base} is cut to make room; the suffix keeps names deterministic.
   */
  public static String jobName(String base, String suffix) {
    return (base.length() + suffix.length() > 63 ? base.substring(0, 63 - suffix.length())
        : base) + suffix;
  }
}
