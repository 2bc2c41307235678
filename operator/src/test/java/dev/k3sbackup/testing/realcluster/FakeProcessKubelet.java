package dev.k3sbackup.testing.realcluster;

import dev.k3sbackup.testing.OciImage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A fake, named as such: the kubelet of one K3s server node, for the one part of K3s that cannot
 * run here (containerd). Everything around it is real: the scheduler binds Pods, the Job and
 * ReplicaSet controllers make them, the API server admits them (Pod Security, the service
 * account's projected token volume). This class does what a kubelet does with a Pod bound to its
 * node, with processes instead of containers:
 *
 * <ul>
 *   <li>registers the Node (Ready, InternalIP, capacity, K3s's labels and annotations) and keeps
 *       it alive through its Lease in {@code kube-node-lease} and status heartbeats;
 *   <li>runs each container from our image: the layers unpacked once, an overlay per container,
 *       {@code chroot} into it inside a private mount namespace, as the user the security
 *       context or the image names, with the image's entrypoint and the container's
 *       command/args, the image's env plus the container's ({@code secretKeyRef},
 *       {@code configMapKeyRef}, {@code fieldRef} resolved through the API), volumes mounted
 *       where the container asks (hostPath from the node's own root directory, emptyDir, secret,
 *       configMap, projected service-account tokens from the TokenRequest API),
 *       {@code readOnlyRootFilesystem}, the memory limit as a cgroup (its hierarchy mounted
 *       read-only in the container, so the JVM sizes its heap from the limit), and the
 *       termination message file;
 *   <li>on the node's network namespace for {@code hostNetwork} Pods, on one of the Pod's own
 *       otherwise;
 *   <li>writes Pod status through {@code pods/status} (Running, container states, exit codes,
 *       termination messages, readiness from httpGet probes), restarts containers as the
 *       restart policy says, and kills and finally deletes Pods being deleted.
 * </ul>
 *
 * <p>Shortcuts it takes, because nothing here needs more: no kube-proxy, so
 * {@code KUBERNETES_SERVICE_HOST} names the API server's own address instead of the service's
 * ClusterIP; one image (ours) and no pulls; no liveness probes, no {@code kubectl logs} (the
 * container output is kept in files, see {@link #logs}); no PID namespace per Pod.
 */
public final class FakeProcessKubelet implements AutoCloseable {

  private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_INSTANT;

  /** How a node looks to the cluster. */
  public record NodeSpec(String name, Map<String, String> labels,
      Map<String, String> annotations, List<String> extraInternalIPs) {

    public NodeSpec(String name, Map<String, String> labels, Map<String, String> annotations) {
      this(name, labels, annotations, List.of());
    }
  }

  private final KubernetesClient client;
  private final NodeSpec node;
  private final NodeNetwork network;
  private final NodeNetwork.Endpoint nodeEndpoint;
  private final Path nodeRoot;
  private final Path work;
  private final ImageStore images;
  private final String apiHost;
  private final Map<String, RunningPod> pods = new ConcurrentHashMap<>();
  private final ExecutorService runner = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fake-kubelet-pod");
    t.setDaemon(true);
    return t;
  });
  private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "fake-kubelet-heartbeat");
        t.setDaemon(true);
        return t;
      });
  private volatile boolean running = true;
  private volatile boolean paused;
  private SharedIndexInformer<Pod> informer;

  /**
   * @param client an admin client of the cluster
   * @param node the node's name, labels, annotations
   * @param network the cluster's network (Pods that are not on the host network get a namespace
   *     on it)
   * @param nodeEndpoint the node's own network namespace and address
   * @param nodeRoot the directory standing for the node's file system ({@code hostPath} roots)
   * @param work where Pod directories, overlays and logs go
   * @param images the images the node holds
   */
  public FakeProcessKubelet(KubernetesClient client, NodeSpec node, NodeNetwork network,
      NodeNetwork.Endpoint nodeEndpoint, Path nodeRoot, Path work, ImageStore images) {
    this.client = client;
    this.node = node;
    this.network = network;
    this.nodeEndpoint = nodeEndpoint;
    this.nodeRoot = nodeRoot;
    this.work = work;
    this.images = images;
    this.apiHost = nodeEndpoint.address();
  }

  /** Registers the node and starts running the Pods bound to it. */
  public FakeProcessKubelet start() {
    client.nodes().resource(new NodeBuilder()
        .withNewMetadata().withName(node.name()).withLabels(node.labels())
          .withAnnotations(node.annotations()).endMetadata()
        .withNewSpec().endSpec()
        .build()).createOr(existing -> existing.update());
    writeNodeStatus();
    heartbeat.scheduleWithFixedDelay(this::beat, 10, 10, TimeUnit.SECONDS);
    informer = client.pods().inAnyNamespace().withField("spec.nodeName", node.name())
        .inform(new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod pod) {
            handle(pod);
          }

          @Override
          public void onUpdate(Pod old, Pod pod) {
            handle(pod);
          }

          @Override
          public void onDelete(Pod pod, boolean unknown) {
            RunningPod p = pods.get(pod.getMetadata().getUid());
            if (p != null) {
              p.kill(0);
            }
          }
        }, 30_000);
    return this;
  }

  /** The node's name. */
  public String nodeName() {
    return node.name();
  }

  /**
   * Stops starting Pods (as a node whose K3s is down would), or resumes; Pods already running
   * go on.
   */
  public void pause(boolean paused) {
    this.paused = paused;
    if (!paused && informer != null) {
      informer.getStore().list().forEach(this::handle);
    }
  }

  /** What the containers of Pod {@code namespace/name} printed so far (all runs). */
  public String logs(String namespace, String name) {
    StringBuilder all = new StringBuilder();
    for (RunningPod p : pods.values()) {
      if (p.namespace.equals(namespace) && p.name.equals(name)) {
        for (Path log : p.logFiles()) {
          all.append("--- ").append(log.getFileName()).append('\n');
          all.append(read(log));
        }
      }
    }
    return all.toString();
  }

  /** The output of every Pod this kubelet ran, newest last (for failure reports). */
  public String allLogs() {
    StringBuilder all = new StringBuilder();
    pods.values().stream().sorted((a, b) -> a.started.compareTo(b.started)).forEach(p -> {
      all.append("=== pod ").append(p.namespace).append('/').append(p.name).append('\n');
      all.append(logs(p.namespace, p.name));
    });
    return all.toString();
  }

  private synchronized void handle(Pod pod) {
    if (!running) {
      return;
    }
    String uid = pod.getMetadata().getUid();
    RunningPod existing = pods.get(uid);
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      if (existing != null) {
        Long grace = pod.getMetadata().getDeletionGracePeriodSeconds();
        runner.submit(() -> existing.kill(grace == null ? 30 : grace));
      } else {
        runner.submit(() -> finalizeDeletion(pod));
      }
      return;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if (existing != null || paused || !(phase == null || phase.equals("Pending"))) {
      return;
    }
    RunningPod p = new RunningPod(pod);
    pods.put(uid, p);
    runner.submit(p::run);
  }

  private void finalizeDeletion(Pod pod) {
    try {
      client.pods().inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
    } catch (KubernetesClientException e) {
      // gone already
    }
  }

  // --- the node -------------------------------------------------------------------------------

  private void beat() {
    if (!running) {
      return;
    }
    try {
      var lease = new LeaseBuilder().withNewMetadata().withName(node.name())
          .withNamespace("kube-node-lease").endMetadata().withNewSpec()
          .withHolderIdentity(node.name()).withLeaseDurationSeconds(40)
          .withRenewTime(java.time.ZonedDateTime.now()).endSpec().build();
      client.leases().inNamespace("kube-node-lease").resource(lease)
          .createOr(existing -> existing.edit(l -> {
            l.getSpec().setRenewTime(ZonedDateTime.now());
            return l;
          }));
      writeNodeStatus();
    } catch (RuntimeException e) {
      // the API server is down for a moment (a restore) or going away
    }
  }

  private void writeNodeStatus() {
    String now = RFC3339.format(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    List<NodeCondition> conditions = new ArrayList<>();
    conditions.add(condition("Ready", "True", "KubeletReady", "kubelet is posting ready status",
        now));
    conditions.add(condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "", now));
    conditions.add(condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "", now));
    conditions.add(condition("PIDPressure", "False", "KubeletHasSufficientPID", "", now));
    Map<String, Quantity> capacity = Map.of("cpu", new Quantity("2"),
        "memory", new Quantity("24Gi"), "pods", new Quantity("110"),
        "ephemeral-storage", new Quantity("100Gi"));
    onConflictRetry(() -> client.nodes().withName(node.name()).editStatus(n -> {
      var status = n.getStatus() == null ? new io.fabric8.kubernetes.api.model.NodeStatus()
          : n.getStatus();
      status.setConditions(conditions);
      status.setCapacity(capacity);
      status.setAllocatable(capacity);
      List<io.fabric8.kubernetes.api.model.NodeAddress> addresses = new ArrayList<>();
      for (String ip : node.extraInternalIPs()) {
        addresses.add(new io.fabric8.kubernetes.api.model.NodeAddress(ip, "InternalIP"));
      }
      addresses.add(new io.fabric8.kubernetes.api.model.NodeAddress(nodeEndpoint.address(),
          "InternalIP"));
      addresses.add(new io.fabric8.kubernetes.api.model.NodeAddress(node.name(), "Hostname"));
      status.setAddresses(addresses);
      status.setNodeInfo(new io.fabric8.kubernetes.api.model.NodeSystemInfoBuilder()
          .withArchitecture("amd64").withOperatingSystem("linux")
          .withKubeletVersion("v1.34.4+fake").withKubeProxyVersion("")
          .withContainerRuntimeVersion("fake-process-kubelet://1").withOsImage("fake")
          .withKernelVersion(System.getProperty("os.version")).withMachineID(node.name())
          .withSystemUUID(node.name()).withBootID(node.name()).build());
      n.setStatus(status);
      return n;
    }));
  }

  /** Runs a read-modify-write again when someone else wrote in between (409), as clients do. */
  private static void onConflictRetry(Runnable write) {
    for (int attempt = 1; ; attempt++) {
      try {
        write.run();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 10) {
          throw e;
        }
      }
    }
  }

  private static NodeCondition condition(String type, String status, String reason,
      String message, String now) {
    return new NodeConditionBuilder().withType(type).withStatus(status).withReason(reason)
        .withMessage(message).withLastHeartbeatTime(now).withLastTransitionTime(now).build();
  }

  // --- Pods -----------------------------------------------------------------------------------

  /** One Pod bound to this node, from its start to its end. */
  private final class RunningPod {
    final String namespace;
    final String name;
    final String uid;
    final Pod pod;
    final Path dir;
    final Instant started = Instant.now();
    final Map<String, Process> processes = new ConcurrentHashMap<>();
    final Map<String, ContainerStatus> statuses = new ConcurrentHashMap<>();
    final Map<String, Integer> restarts = new ConcurrentHashMap<>();
    volatile boolean killed;
    volatile NodeNetwork.Endpoint endpoint;

    RunningPod(Pod pod) {
      this.pod = pod;
      this.namespace = pod.getMetadata().getNamespace();
      this.name = pod.getMetadata().getName();
      this.uid = pod.getMetadata().getUid();
      this.dir = work.resolve("pods").resolve(uid);
    }

    List<Path> logFiles() {
      try (var files = Files.list(dir)) {
        return files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList();
      } catch (IOException e) {
        return List.of();
      }
    }

    void run() {
      try {
        Files.createDirectories(dir);
        boolean hostNetwork = Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
        endpoint = hostNetwork ? nodeEndpoint : network.addPod(uid.substring(0, 8));
        Map<String, Path> volumes = prepareVolumes();
        List<Container> containers = pod.getSpec().getContainers();
        for (Container c : containers) {
          statuses.put(c.getName(), waiting(c, "ContainerCreating", null));
        }
        writePodStatus();
        List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
        for (Container c : containers) {
          runs.add(runner.submit(() -> runContainer(c, volumes)));
        }
        for (var f : runs) {
          f.get();
        }
      } catch (PodSetupException e) {
        for (Container c : pod.getSpec().getContainers()) {
          statuses.put(c.getName(), waiting(c, e.reason, e.getMessage()));
        }
        writePodStatus();
        if (!killed) {
          return; // as a kubelet, it stays Pending with the reason shown
        }
      } catch (Exception e) {
        for (Container c : pod.getSpec().getContainers()) {
          statuses.putIfAbsent(c.getName(), waiting(c, "RunContainerError", e.toString()));
        }
        writePodStatus();
      } finally {
        if (endpoint != null && endpoint != nodeEndpoint) {
          network.remove(endpoint);
        }
        if (killed) {
          finalizeDeletion(pod);
        }
      }
    }

    // -- volumes

    Map<String, Path> prepareVolumes() throws IOException {
      Map<String, Path> paths = new LinkedHashMap<>();
      for (Volume v : pod.getSpec().getVolumes()) {
        Path vdir = dir.resolve("volumes").resolve(v.getName());
        if (v.getHostPath() != null) {
          paths.put(v.getName(), hostPath(v));
        } else if (v.getEmptyDir() != null) {
          Files.createDirectories(vdir);
          vdir.toFile().setWritable(true, false);
          Files.setPosixFilePermissions(vdir,
              java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
          paths.put(v.getName(), vdir);
        } else if (v.getSecret() != null) {
          Secret s = client.secrets().inNamespace(namespace).withName(v.getSecret()
              .getSecretName()).get();
          if (s == null && !Boolean.TRUE.equals(v.getSecret().getOptional())) {
            throw new PodSetupException("ContainerCreating", "MountVolume.SetUp failed for "
                + "volume \"" + v.getName() + "\": secret \"" + v.getSecret().getSecretName()
                + "\" not found");
          }
          Files.createDirectories(vdir);
          writeKeys(vdir, s == null ? Map.of() : decode(s), v.getSecret().getItems());
          paths.put(v.getName(), vdir);
        } else if (v.getConfigMap() != null) {
          ConfigMap cm = client.configMaps().inNamespace(namespace)
              .withName(v.getConfigMap().getName()).get();
          if (cm == null && !Boolean.TRUE.equals(v.getConfigMap().getOptional())) {
            throw new PodSetupException("ContainerCreating", "MountVolume.SetUp failed for "
                + "volume \"" + v.getName() + "\": configmap \"" + v.getConfigMap().getName()
                + "\" not found");
          }
          Files.createDirectories(vdir);
          writeKeys(vdir, cm == null ? Map.of() : bytes(cm.getData()),
              v.getConfigMap().getItems());
          paths.put(v.getName(), vdir);
        } else if (v.getProjected() != null) {
          Files.createDirectories(vdir);
          for (VolumeProjection source : v.getProjected().getSources()) {
            project(vdir, source);
          }
          paths.put(v.getName(), vdir);
        } else {
          throw new PodSetupException("ContainerCreating", "the fake kubelet has no support "
              + "for the volume type of \"" + v.getName() + "\"");
        }
      }
      return paths;
    }

    Path hostPath(Volume v) throws IOException {
      String p = v.getHostPath().getPath();
      Path real = nodeRoot.resolve(p.startsWith("/") ? p.substring(1) : p);
      String type = v.getHostPath().getType() == null ? "" : v.getHostPath().getType();
      switch (type) {
        case "DirectoryOrCreate" -> {
          if (!Files.isDirectory(real)) {
            Files.createDirectories(real);
            Files.setPosixFilePermissions(real,
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
          }
        }
        case "Directory" -> {
          if (!Files.isDirectory(real)) {
            throw new PodSetupException("ContainerCreating", "MountVolume.SetUp failed for "
                + "volume \"" + v.getName() + "\" : hostPath type check failed: " + p
                + " is not a directory");
          }
        }
        case "File" -> {
          if (!Files.isRegularFile(real)) {
            throw new PodSetupException("ContainerCreating", "MountVolume.SetUp failed for "
                + "volume \"" + v.getName() + "\" : hostPath type check failed: " + p
                + " is not a file");
          }
        }
        case "FileOrCreate" -> {
          if (!Files.exists(real)) {
            Files.createDirectories(real.getParent());
            Files.createFile(real);
          }
        }
        case "" -> {
          if (!Files.exists(real)) {
            Files.createDirectories(real); // as Docker did: an empty type creates a directory
          }
        }
        default -> throw new PodSetupException("ContainerCreating",
            "the fake kubelet has no support for hostPath type " + type);
      }
      return real;
    }

    void project(Path vdir, VolumeProjection source) throws IOException {
      if (source.getServiceAccountToken() != null) {
        var t = source.getServiceAccountToken();
        String sa = pod.getSpec().getServiceAccountName() == null ? "default"
            : pod.getSpec().getServiceAccountName();
        TokenRequest request = new TokenRequestBuilder().withNewSpec()
            .withAudiences(t.getAudience() == null ? List.of() : List.of(t.getAudience()))
            .withExpirationSeconds(t.getExpirationSeconds() == null ? 3607L
                : t.getExpirationSeconds())
            .withNewBoundObjectRef().withKind("Pod").withApiVersion("v1").withName(name)
              .withUid(uid).endBoundObjectRef()
            .endSpec().build();
        TokenRequest issued = client.serviceAccounts().inNamespace(namespace).withName(sa)
            .tokenRequest(request);
        write(vdir.resolve(t.getPath()), issued.getStatus().getToken()
            .getBytes(StandardCharsets.UTF_8), 0644);
      }
      if (source.getConfigMap() != null) {
        ConfigMap cm = client.configMaps().inNamespace(namespace)
            .withName(source.getConfigMap().getName()).get();
        if (cm == null && !Boolean.TRUE.equals(source.getConfigMap().getOptional())) {
          throw new PodSetupException("ContainerCreating", "configmap \""
              + source.getConfigMap().getName() + "\" not found");
        }
        writeKeys(vdir, cm == null ? Map.of() : bytes(cm.getData()),
            source.getConfigMap().getItems());
      }
      if (source.getSecret() != null) {
        Secret s = client.secrets().inNamespace(namespace).withName(source.getSecret()
            .getName()).get();
        if (s == null && !Boolean.TRUE.equals(source.getSecret().getOptional())) {
          throw new PodSetupException("ContainerCreating", "secret \""
              + source.getSecret().getName() + "\" not found");
        }
        writeKeys(vdir, s == null ? Map.of() : decode(s), source.getSecret().getItems());
      }
      if (source.getDownwardAPI() != null) {
        for (var item : source.getDownwardAPI().getItems()) {
          if (item.getFieldRef() == null) {
            throw new PodSetupException("ContainerCreating",
                "the fake kubelet projects only fieldRef downward API items");
          }
          write(vdir.resolve(item.getPath()), field(item.getFieldRef())
              .getBytes(StandardCharsets.UTF_8), 0644);
        }
      }
    }

    // -- containers

    void runContainer(Container c, Map<String, Path> volumes) {
      String restartPolicy = pod.getSpec().getRestartPolicy() == null ? "Always"
          : pod.getSpec().getRestartPolicy();
      long backoffMillis = 1000;
      while (!killed) {
        ContainerStatus result;
        try {
          result = runOnce(c, volumes);
        } catch (PodSetupException e) {
          statuses.put(c.getName(), waiting(c, e.reason, e.getMessage()));
          writePodStatus();
          return;
        } catch (IOException e) {
          statuses.put(c.getName(), waiting(c, "RunContainerError", e.toString()));
          writePodStatus();
          return;
        }
        int exit = result.getState().getTerminated().getExitCode();
        boolean again = !killed && (restartPolicy.equals("Always")
            || (restartPolicy.equals("OnFailure") && exit != 0));
        if (!again) {
          statuses.put(c.getName(), result);
          writePodStatus();
          return;
        }
        restarts.merge(c.getName(), 1, Integer::sum);
        statuses.put(c.getName(), new ContainerStatusBuilder(waiting(c, "CrashLoopBackOff",
            "back-off restarting failed container")).withLastState(result.getState()).build());
        writePodStatus();
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, 10_000);
      }
    }

    ContainerStatus runOnce(Container c, Map<String, Path> volumes) throws IOException {
      OciImage image = images.find(c.getImage());
      if (image == null) {
        throw new PodSetupException("ErrImageNeverPull", "image \"" + c.getImage()
            + "\" is not on the node (it holds " + images.names() + ") and this fake never "
            + "pulls");
      }
      int run = restarts.getOrDefault(c.getName(), 0);
      String id = c.getName() + "-" + run;
      Path cdir = Files.createDirectories(dir.resolve("containers").resolve(id));
      Path upper = Files.createDirectories(cdir.resolve("upper"));
      Path workdir = Files.createDirectories(cdir.resolve("work"));
      Path merged = Files.createDirectories(cdir.resolve("rootfs"));
      Path termination = cdir.resolve("termination-log");
      Files.writeString(termination, "");
      Path log = dir.resolve(id + ".log");

      OciImage.User imageUser = image.user(images.rootfs());
      var podSec = pod.getSpec().getSecurityContext();
      var sec = c.getSecurityContext();
      Long uid = sec != null && sec.getRunAsUser() != null ? sec.getRunAsUser()
          : podSec != null && podSec.getRunAsUser() != null ? podSec.getRunAsUser() : null;
      Long gid = sec != null && sec.getRunAsGroup() != null ? sec.getRunAsGroup()
          : podSec != null && podSec.getRunAsGroup() != null ? podSec.getRunAsGroup() : null;
      int runUid = uid != null ? uid.intValue() : imageUser.uid();
      int runGid = gid != null ? gid.intValue() : uid == null ? imageUser.gid() : primaryGroup(
          runUid);
      boolean nonRoot = Boolean.TRUE.equals(sec != null ? sec.getRunAsNonRoot() : null)
          || (sec == null || sec.getRunAsNonRoot() == null) && podSec != null
              && Boolean.TRUE.equals(podSec.getRunAsNonRoot());
      if (nonRoot && runUid == 0) {
        throw new PodSetupException("CreateContainerConfigError",
            "container has runAsNonRoot and image will run as root");
      }
      boolean privileged = sec != null && Boolean.TRUE.equals(sec.getPrivileged());
      boolean readOnlyRoot = sec != null && Boolean.TRUE.equals(sec.getReadOnlyRootFilesystem());

      Map<String, String> env = new LinkedHashMap<>(image.env());
      env.put("HOSTNAME", Boolean.TRUE.equals(pod.getSpec().getHostNetwork()) ? node.name()
          : name);
      env.put("KUBERNETES_SERVICE_HOST", apiHost);
      env.put("KUBERNETES_SERVICE_PORT", "6443");
      env.put("KUBERNETES_SERVICE_PORT_HTTPS", "6443");
      env.putAll(containerEnv(c));
      if (!env.containsKey("HOME")) {
        String[] entry = OciImage.passwdEntry(images.rootfs(), runUid);
        env.put("HOME", entry != null && entry.length > 5 ? entry[5] : "/");
      }

      List<String> command = new ArrayList<>();
      List<String> entry = c.getCommand() != null && !c.getCommand().isEmpty() ? c.getCommand()
          : textList(image.config().path("config").path("Entrypoint"));
      List<String> args = c.getCommand() != null && !c.getCommand().isEmpty()
          || c.getArgs() != null && !c.getArgs().isEmpty() ? nullToEmpty(c.getArgs())
          : textList(image.config().path("config").path("Cmd"));
      command.addAll(entry);
      command.addAll(args);
      if (c.getWorkingDir() != null && !c.getWorkingDir().isEmpty()
          && !c.getWorkingDir().equals("/")) {
        throw new PodSetupException("CreateContainerConfigError",
            "the fake kubelet runs containers in / only");
      }

      StringBuilder script = new StringBuilder("set -e\nm=\"$1\"; shift\n");
      script.append("/bin/mount -t overlay overlay -o lowerdir=").append(q(images.rootfs()))
          .append(",upperdir=").append(q(upper)).append(",workdir=").append(q(workdir))
          .append(" \"$m\"\n");
      script.append("/bin/mkdir -p \"$m/proc\" \"$m/dev\" \"$m/sys\" \"$m/etc\"\n");
      script.append("/bin/mount -t proc proc \"$m/proc\"\n");
      script.append("/bin/mount -t tmpfs -o mode=755,nosuid tmpfs \"$m/dev\"\n");
      script.append("for d in null zero full random urandom tty; do /bin/touch \"$m/dev/$d\"; "
          + "/bin/mount --bind \"/dev/$d\" \"$m/dev/$d\"; done\n");
      script.append("/bin/mkdir -p \"$m/dev/shm\" \"$m/dev/pts\"; "
          + "/bin/mount -t tmpfs tmpfs \"$m/dev/shm\"\n");
      script.append("/bin/ln -s /proc/self/fd \"$m/dev/fd\"; "
          + "/bin/ln -s /proc/self/fd/0 \"$m/dev/stdin\"; "
          + "/bin/ln -s /proc/self/fd/1 \"$m/dev/stdout\"; "
          + "/bin/ln -s /proc/self/fd/2 \"$m/dev/stderr\"\n");
      script.append("/bin/mount -t sysfs -o ro sysfs \"$m/sys\" || true\n");
      // the cgroup (v1) hierarchies, read-only, as a container runtime shows them: the JVM sizes
      // its heap from the container's memory limit only where it finds its cgroups (memory, cpu,
      // cpuacct and cpuset, all of them, or none count)
      script.append("if [ -d \"$m/sys/fs/cgroup\" ] && /bin/mount -t tmpfs -o mode=755 tmpfs "
          + "\"$m/sys/fs/cgroup\"; then for c in memory cpu cpuacct cpuset pids; do "
          + "[ -d \"/sys/fs/cgroup/$c\" ] || continue; /bin/mkdir -p \"$m/sys/fs/cgroup/$c\"; "
          + "/bin/mount --bind \"/sys/fs/cgroup/$c\" \"$m/sys/fs/cgroup/$c\" && /bin/mount -o "
          + "remount,ro,bind \"$m/sys/fs/cgroup/$c\" || true; done; fi\n");
      Path etc = Files.createDirectories(cdir.resolve("etc"));
      Files.writeString(etc.resolve("hostname"), env.get("HOSTNAME") + "\n");
      Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n" + endpoint.address() + " "
          + env.get("HOSTNAME") + "\n");
      Files.writeString(etc.resolve("resolv.conf"), "nameserver 127.0.0.1\n");
      for (String f : List.of("hostname", "hosts", "resolv.conf")) {
        bind(script, etc.resolve(f), "/etc/" + f, false, true);
      }
      for (VolumeMount vm : nullToEmpty(c.getVolumeMounts())) {
        Path source = volumes.get(vm.getName());
        if (source == null) {
          throw new PodSetupException("CreateContainerConfigError",
              "volume mount " + vm.getName() + " names no volume");
        }
        if (vm.getSubPath() != null && !vm.getSubPath().isEmpty()) {
          source = source.resolve(vm.getSubPath());
        }
        bind(script, source, vm.getMountPath(), Boolean.TRUE.equals(vm.getReadOnly()),
            !Files.isDirectory(source));
      }
      String terminationPath = c.getTerminationMessagePath() == null ? "/dev/termination-log"
          : c.getTerminationMessagePath();
      bind(script, termination, terminationPath, false, true);
      if (readOnlyRoot) {
        script.append("/bin/mount -o remount,ro,bind \"$m\" \"$m\"\n");
      }
      Path cgroup = memoryCgroup(id, c);
      if (cgroup != null) {
        script.append("echo $$ > ").append(q(cgroup.resolve("cgroup.procs"))).append('\n');
      }
      // chroot first (it needs root), then the bounding set, no_new_privs and the user, then
      // the program: capsh does all of it in that order
      script.append("p=\"$1\"; shift\n");
      script.append("exec /usr/sbin/capsh --chroot=\"$m\" --gid=").append(runGid)
          .append(" --groups=").append(runGid);
      if (!privileged) {
        List<String> drop = droppedCapabilities(c);
        if (!drop.isEmpty()) {
          script.append(" --drop=").append(String.join(",", drop));
        }
        if (sec != null && Boolean.FALSE.equals(sec.getAllowPrivilegeEscalation())) {
          script.append(" --no-new-privs");
        }
      }
      script.append(" --uid=").append(runUid).append(" --shell=\"$p\" -- \"$@\"\n");
      List<String> cmd = new ArrayList<>(endpoint.enter());
      cmd.addAll(List.of("/usr/bin/unshare", "--mount", "--propagation", "private",
          "--kill-child=SIGTERM", "/bin/sh", "-c", script.toString(), "container",
          merged.toString()));
      cmd.add(lookPath(command.get(0), env.get("PATH")));
      cmd.addAll(command.subList(1, command.size()));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().clear();
      pb.environment().putAll(env);
      Instant startedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      Process process = pb.start();
      processes.put(c.getName(), process);
      statuses.put(c.getName(), new ContainerStatusBuilder()
          .withName(c.getName()).withImage(c.getImage()).withImageID(imageId(image))
          .withContainerID("fake://" + uid + "/" + id).withStarted(true)
          .withReady(c.getReadinessProbe() == null)
          .withRestartCount(restarts.getOrDefault(c.getName(), 0))
          .withState(new ContainerStateBuilder().withNewRunning()
              .withStartedAt(RFC3339.format(startedAt)).endRunning().build())
          .build());
      writePodStatus();
      var probe = c.getReadinessProbe() == null ? null
          : heartbeat.scheduleWithFixedDelay(() -> probeReadiness(c), Math.max(1,
              c.getReadinessProbe().getInitialDelaySeconds() == null ? 0
                  : c.getReadinessProbe().getInitialDelaySeconds()), Math.max(1,
              c.getReadinessProbe().getPeriodSeconds() == null ? 10
                  : Math.min(c.getReadinessProbe().getPeriodSeconds(), 2)), TimeUnit.SECONDS);
      int exit;
      try {
        exit = process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        exit = 137;
      } finally {
        if (probe != null) {
          probe.cancel(false);
        }
        processes.remove(c.getName());
      }
      boolean oom = cgroup != null && oomKilled(cgroup);
      if (cgroup != null) {
        removeCgroup(cgroup);
      }
      String message = terminationMessage(c, termination, log, exit);
      return new ContainerStatusBuilder()
          .withName(c.getName()).withImage(c.getImage()).withImageID(imageId(image))
          .withContainerID("fake://" + uid + "/" + id).withStarted(false).withReady(false)
          .withRestartCount(restarts.getOrDefault(c.getName(), 0))
          .withState(new ContainerStateBuilder().withNewTerminated()
              .withExitCode(exit)
              .withReason(oom ? "OOMKilled" : exit == 0 ? "Completed" : "Error")
              .withMessage(message.isEmpty() ? null : message)
              .withStartedAt(RFC3339.format(startedAt))
              .withFinishedAt(RFC3339.format(Instant.now().truncatedTo(ChronoUnit.SECONDS)))
              .withContainerID("fake://" + uid + "/" + id)
              .endTerminated().build())
          .build();
    }

    void probeReadiness(Container c) {
      Probe probe = c.getReadinessProbe();
      boolean ready = false;
      if (probe.getHttpGet() != null) {
        var get = probe.getHttpGet();
        int port = get.getPort().getIntVal() != null ? get.getPort().getIntVal()
            : nullToEmpty(c.getPorts()).stream()
                .filter(p -> get.getPort().getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst().orElse(-1);
        try {
          HttpURLConnection conn = (HttpURLConnection) URI.create("http://" + endpoint.address()
              + ":" + port + (get.getPath() == null ? "/" : get.getPath())).toURL()
              .openConnection();
          conn.setConnectTimeout(1000);
          conn.setReadTimeout(1000);
          int code = conn.getResponseCode();
          ready = code >= 200 && code < 400;
          conn.disconnect();
        } catch (IOException | RuntimeException e) {
          ready = false;
        }
      } else {
        ready = true; // exec and tcp probes: not run by this fake; the container counts as ready
      }
      ContainerStatus current = statuses.get(c.getName());
      if (current != null && current.getState().getRunning() != null
          && !Objects.equals(current.getReady(), ready)) {
        statuses.put(c.getName(), new ContainerStatusBuilder(current).withReady(ready).build());
        writePodStatus();
      }
    }

    Map<String, String> containerEnv(Container c) {
      Map<String, String> env = new LinkedHashMap<>();
      for (EnvFromSource from : nullToEmpty(c.getEnvFrom())) {
        String prefix = from.getPrefix() == null ? "" : from.getPrefix();
        if (from.getSecretRef() != null) {
          Secret s = client.secrets().inNamespace(namespace).withName(from.getSecretRef()
              .getName()).get();
          if (s == null && !Boolean.TRUE.equals(from.getSecretRef().getOptional())) {
            throw new PodSetupException("CreateContainerConfigError", "secret \""
                + from.getSecretRef().getName() + "\" not found");
          }
          if (s != null) {
            decode(s).forEach((k, v) -> env.put(prefix + k, new String(v,
                StandardCharsets.UTF_8)));
          }
        }
        if (from.getConfigMapRef() != null) {
          ConfigMap cm = client.configMaps().inNamespace(namespace)
              .withName(from.getConfigMapRef().getName()).get();
          if (cm == null && !Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) {
            throw new PodSetupException("CreateContainerConfigError", "configmap \""
                + from.getConfigMapRef().getName() + "\" not found");
          }
          if (cm != null && cm.getData() != null) {
            cm.getData().forEach((k, v) -> env.put(prefix + k, v));
          }
        }
      }
      for (EnvVar e : nullToEmpty(c.getEnv())) {
        if (e.getValueFrom() == null) {
          env.put(e.getName(), e.getValue() == null ? "" : e.getValue());
          continue;
        }
        var from = e.getValueFrom();
        if (from.getFieldRef() != null) {
          env.put(e.getName(), field(from.getFieldRef()));
        } else if (from.getSecretKeyRef() != null) {
          var ref = from.getSecretKeyRef();
          Secret s = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
          byte[] v = s == null ? null : decode(s).get(ref.getKey());
          if (v == null) {
            if (Boolean.TRUE.equals(ref.getOptional())) {
              continue;
            }
            throw new PodSetupException("CreateContainerConfigError", s == null
                ? "secret \"" + ref.getName() + "\" not found"
                : "couldn't find key " + ref.getKey() + " in Secret " + namespace + "/"
                    + ref.getName());
          }
          env.put(e.getName(), new String(v, StandardCharsets.UTF_8));
        } else if (from.getConfigMapKeyRef() != null) {
          var ref = from.getConfigMapKeyRef();
          ConfigMap cm = client.configMaps().inNamespace(namespace).withName(ref.getName())
              .get();
          String v = cm == null || cm.getData() == null ? null : cm.getData().get(ref.getKey());
          if (v == null) {
            if (Boolean.TRUE.equals(ref.getOptional())) {
              continue;
            }
            throw new PodSetupException("CreateContainerConfigError", "couldn't find key "
                + ref.getKey() + " in ConfigMap " + namespace + "/" + ref.getName());
          }
          env.put(e.getName(), v);
        } else {
          throw new PodSetupException("CreateContainerConfigError",
              "the fake kubelet cannot resolve env " + e.getName());
        }
      }
      return env;
    }

    String field(ObjectFieldSelector ref) {
      return switch (ref.getFieldPath()) {
        case "metadata.name" -> name;
        case "metadata.namespace" -> namespace;
        case "metadata.uid" -> uid;
        case "spec.nodeName" -> node.name();
        case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName();
        case "status.hostIP" -> nodeEndpoint.address();
        case "status.podIP" -> endpoint.address();
        default -> throw new PodSetupException("CreateContainerConfigError",
            "the fake kubelet cannot resolve fieldRef " + ref.getFieldPath());
      };
    }

    void writePodStatus() {
      List<ContainerStatus> list = new ArrayList<>();
      for (Container c : pod.getSpec().getContainers()) {
        ContainerStatus s = statuses.get(c.getName());
        if (s != null) {
          list.add(s);
        }
      }
      boolean allTerminated = !list.isEmpty() && list.size() == pod.getSpec().getContainers()
          .size() && list.stream().allMatch(s -> s.getState().getTerminated() != null);
      boolean anyRunning = list.stream().anyMatch(s -> s.getState().getRunning() != null);
      String phase;
      if (allTerminated) {
        phase = list.stream().allMatch(s -> s.getState().getTerminated().getExitCode() == 0)
            ? "Succeeded" : "Failed";
      } else if (anyRunning || list.stream().anyMatch(s -> s.getLastState() != null
          && s.getLastState().getTerminated() != null)) {
        phase = "Running";
      } else {
        phase = "Pending";
      }
      boolean ready = !list.isEmpty() && list.stream().allMatch(s -> Boolean.TRUE.equals(
          s.getReady())) && phase.equals("Running");
      String now = RFC3339.format(Instant.now().truncatedTo(ChronoUnit.SECONDS));
      List<PodCondition> conditions = List.of(
          podCondition("PodScheduled", "True", now),
          podCondition("Initialized", "True", now),
          podCondition("ContainersReady", ready ? "True" : "False", now),
          podCondition("Ready", ready ? "True" : "False", now));
      String podIp = endpoint == null ? null : endpoint.address();
      try {
        onConflictRetry(() -> client.pods().inNamespace(namespace).withName(name).editStatus(
            p -> {
          var status = p.getStatus() == null ? new io.fabric8.kubernetes.api.model.PodStatus()
              : p.getStatus();
          status.setPhase(phase);
          status.setConditions(conditions);
          status.setContainerStatuses(list);
          status.setHostIP(nodeEndpoint.address());
          status.setHostIPs(List.of(new io.fabric8.kubernetes.api.model.HostIP(
              nodeEndpoint.address())));
          if (podIp != null) {
            status.setPodIP(podIp);
            status.setPodIPs(List.of(new PodIP(podIp)));
          }
          if (status.getStartTime() == null) {
            status.setStartTime(RFC3339.format(started.truncatedTo(ChronoUnit.SECONDS)));
          }
          p.setStatus(status);
          return p;
        }));
      } catch (KubernetesClientException e) {
        // the Pod is gone, or the API server is away for a moment
      }
    }

    void kill(long graceSeconds) {
      killed = true;
      for (Process p : processes.values()) {
        // SIGTERM to the container's process itself: it changed its user, so the kernel
        // cleared the parent-death signal unshare set up for it
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(graceSeconds, 0));
      for (Process p : processes.values()) {
        try {
          long left = deadline - System.nanoTime();
          if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (processes.isEmpty()) {
        finalizeDeletion(pod);
      }
    }
  }

  private static PodCondition podCondition(String type, String status, String now) {
    return new PodConditionBuilder().withType(type).withStatus(status)
        .withLastTransitionTime(now).build();
  }

  private static ContainerStatus waiting(Container c, String reason, String message) {
    return new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage())
        .withImageID("").withReady(false).withStarted(false).withRestartCount(0)
        .withState(new ContainerStateBuilder().withNewWaiting().withReason(reason)
            .withMessage(message).endWaiting().build())
        .build();
  }

  /** A Pod that cannot start: the reason a kubelet shows on its container. */
  private static final class PodSetupException extends RuntimeException {
    final String reason;

    PodSetupException(String reason, String message) {
      super(message);
      this.reason = reason;
    }
  }

  private String terminationMessage(Container c, Path file, Path log, int exit) {
    String message = read(file);
    if (message.isEmpty() && exit != 0
        && "FallbackToLogsOnError".equals(c.getTerminationMessagePolicy())) {
      String all = read(log);
      String[] lines = all.split("\n");
      message = String.join("\n", java.util.Arrays.copyOfRange(lines,
          Math.max(0, lines.length - 80), lines.length));
    }
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    return bytes.length <= 4096 ? message : new String(bytes, bytes.length - 4096, 4096,
        StandardCharsets.UTF_8);
  }

  /** A memory cgroup (v1) holding the container, with its limit; null where there is none. */
  private Path memoryCgroup(String id, Container c) throws IOException {
    Path root = Path.of("/sys/fs/cgroup/memory");
    if (!Files.isWritable(root.resolve("cgroup.procs"))) {
      return null;
    }
    Path cg = root.resolve("fake-kubelet").resolve(node.name() + "-" + id + "-"
        + Long.toHexString(System.nanoTime()));
    Files.createDirectories(cg);
    Quantity limit = c.getResources() == null || c.getResources().getLimits() == null ? null
        : c.getResources().getLimits().get("memory");
    if (limit != null) {
      Files.writeString(cg.resolve("memory.limit_in_bytes"),
          Quantity.getAmountInBytes(limit).toBigInteger().toString());
    }
    return cg;
  }

  private static boolean oomKilled(Path cgroup) {
    for (String line : read(cgroup.resolve("memory.oom_control")).split("\n")) {
      if (line.startsWith("oom_kill ") && !line.equals("oom_kill 0")) {
        return true;
      }
    }
    return false;
  }

  private static void removeCgroup(Path cgroup) {
    for (int i = 0; i < 50; i++) {
      try {
        Files.delete(cgroup);
        return;
      } catch (IOException e) {
        sleep(100); // its last process is still exiting
      }
    }
  }

  /** The capabilities containerd gives a container by default. */
  private static final List<String> DEFAULT_CAPABILITIES = List.of("cap_chown",
      "cap_dac_override", "cap_fsetid", "cap_fowner", "cap_mknod", "cap_net_raw", "cap_setgid",
      "cap_setuid", "cap_setfcap", "cap_setpcap", "cap_net_bind_service", "cap_sys_chroot",
      "cap_kill", "cap_audit_write");

  /** Every capability this kernel knows (capsh's bounding set of a root shell). */
  private static final List<String> ALL_CAPABILITIES = allCapabilities();

  private static List<String> allCapabilities() {
    for (String line : dev.k3sbackup.testing.Processes.run("/usr/sbin/capsh", "--print").output()
        .split("\n")) {
      if (line.startsWith("Bounding set =")) {
        return List.of(line.substring("Bounding set =".length()).trim().split(","));
      }
    }
    throw new IllegalStateException("capsh --print shows no bounding set");
  }

  /**
   * What a container must not have: every capability but containerd's defaults, plus those
   * its security context adds, minus those it drops.
   */
  private static List<String> droppedCapabilities(Container c) {
    List<String> keep = new ArrayList<>(DEFAULT_CAPABILITIES);
    var sec = c.getSecurityContext();
    if (sec != null && sec.getCapabilities() != null) {
      for (String drop : nullToEmpty(sec.getCapabilities().getDrop())) {
        if (drop.equalsIgnoreCase("ALL")) {
          keep.clear();
        } else {
          keep.remove(capName(drop));
        }
      }
      for (String add : nullToEmpty(sec.getCapabilities().getAdd())) {
        keep.add(capName(add));
      }
    }
    List<String> drop = new ArrayList<>(ALL_CAPABILITIES);
    drop.removeAll(keep);
    return drop;
  }

  private static String capName(String k8sName) {
    String n = k8sName.toLowerCase();
    return n.startsWith("cap_") ? n : "cap_" + n;
  }

  /** {@code program} found on the container's {@code PATH} inside the image, as runc does. */
  private String lookPath(String program, String path) {
    if (program.contains("/")) {
      return program;
    }
    for (String dir : (path == null ? "/usr/local/bin:/usr/bin:/bin" : path).split(":")) {
      String candidate = (dir.endsWith("/") ? dir : dir + "/") + program;
      if (Files.isExecutable(images.rootfs().resolve(candidate.substring(1)))) {
        return candidate;
      }
    }
    throw new PodSetupException("StartError", "exec: \"" + program
        + "\": executable file not found in $PATH");
  }

  private int primaryGroup(int uid) throws IOException {
    String[] entry = OciImage.passwdEntry(images.rootfs(), uid);
    return entry != null && entry.length > 3 ? Integer.parseInt(entry[3]) : 0;
  }

  private static String imageId(OciImage image) {
    return image.index().path("manifests").path(0).path("digest").asText("");
  }

  private static void bind(StringBuilder script, Path source, String target, boolean readOnly,
      boolean file) {
    String t = "\"$m\"" + q(target);
    if (file) {
      script.append("/bin/mkdir -p \"$(/usr/bin/dirname ").append(t).append(")\"; ")
          .append("[ -e ").append(t).append(" ] || /bin/touch ").append(t).append('\n');
    } else {
      script.append("/bin/mkdir -p ").append(t).append('\n');
    }
    script.append("/bin/mount --bind ").append(q(source)).append(' ').append(t).append('\n');
    if (readOnly) {
      script.append("/bin/mount -o remount,ro,bind ").append(t).append('\n');
    }
  }

  private static String q(Object path) {
    return "'" + path.toString().replace("'", "'\\''") + "'";
  }

  private static Map<String, byte[]> decode(Secret s) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> out.put(k, Base64.getDecoder().decode(v)));
    }
    if (s.getStringData() != null) {
      s.getStringData().forEach((k, v) -> out.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  private static Map<String, byte[]> bytes(Map<String, String> data) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (data != null) {
      data.forEach((k, v) -> out.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  private static void writeKeys(Path dir, Map<String, byte[]> data, List<KeyToPath> items)
      throws IOException {
    if (items == null || items.isEmpty()) {
      for (var e : data.entrySet()) {
        write(dir.resolve(e.getKey()), e.getValue(), 0644);
      }
      return;
    }
    for (KeyToPath item : items) {
      byte[] v = data.get(item.getKey());
      if (v != null) {
        write(dir.resolve(item.getPath()), v, item.getMode() == null ? 0644 : item.getMode());
      }
    }
  }

  private static void write(Path file, byte[] content, int mode) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, content);
    StringBuilder perms = new StringBuilder();
    for (int shift = 6; shift >= 0; shift -= 3) {
      int bits = (mode >> shift) & 7;
      perms.append((bits & 4) != 0 ? 'r' : '-').append((bits & 2) != 0 ? 'w' : '-')
          .append((bits & 1) != 0 ? 'x' : '-');
    }
    Files.setPosixFilePermissions(file,
        java.nio.file.attribute.PosixFilePermissions.fromString(perms.toString()));
  }

  private static List<String> textList(com.fasterxml.jackson.databind.JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    if (informer != null) {
      informer.close();
    }
    heartbeat.shutdownNow();
    for (RunningPod p : pods.values()) {
      p.killed = true;
      for (Process proc : p.processes.values()) {
        proc.descendants().forEach(ProcessHandle::destroyForcibly);
        proc.destroyForcibly();
      }
    }
    runner.shutdownNow();
    try {
      runner.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
