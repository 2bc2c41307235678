package dev.k3sbackup.testing;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A fake, named as such: plays the kubelets and the job controller of a cluster whose API is the
 * test server, for the one thing that cannot run here. It registers Node objects; for each Job
 * it sees, it creates the Pod, runs the container's arguments through the image's entrypoint
 * (given: our jar's real code), and writes Pod and Job status as Kubernetes would, including the
 * termination message.
 *
 * <p>Each fake node has a root directory standing for its file system: a hostPath volume at
 * {@code /x} is {@code <root>/x}, and container paths in the arguments are mapped through the
 * Pod's volume mounts. Each node also has environment variables, as a real node's host would
 * differ. It knows nothing about snapshots.
 */
public final class FakeKubelet implements AutoCloseable {

  /** The image's entrypoint: runs arguments, returns the exit code. */
  public interface Entrypoint {
    int run(List<String> args, Map<String, String> env, PrintWriter out, PrintWriter err);
  }

  /**
   * A node.
   *
   * @param name its name
   * @param root the directory that stands for its file system
   * @param labels its labels
   * @param env what its host adds to every container's environment
   * @param address its InternalIP (a loopback address of its own), or null
   */
  public record FakeNode(String name, Path root, Map<String, String> labels,
      Map<String, String> env, String address) {

    public FakeNode(String name, Path root, Map<String, String> labels, Map<String, String> env) {
      this(name, root, labels, env, null);
    }

    /** The real place of host path {@code hostPath} on this node. */
    public Path path(String hostPath) {
      return root.resolve(hostPath.startsWith("/") ? hostPath.substring(1) : hostPath);
    }
  }

  private final KubernetesClient client;
  private final String namespace;
  private final Entrypoint entrypoint;
  private final java.time.Clock clock;
  private final Map<String, FakeNode> nodes = new ConcurrentHashMap<>();
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final Map<String, String> logs = new ConcurrentHashMap<>();
  private final ExecutorService runner = Executors.newCachedThreadPool();
  private final Thread poller;
  private volatile boolean running = true;
  private volatile boolean paused;
  private volatile java.util.function.Predicate<String> kubeletRuns = node -> true;

  public FakeKubelet(KubernetesClient client, String namespace, java.time.Clock clock,
      Entrypoint entrypoint) {
    this.client = client;
    this.clock = clock;
    this.namespace = namespace;
    this.entrypoint = entrypoint;
    this.poller = new Thread(this::pollJobs, "fake-kubelet");
    this.poller.setDaemon(true);
    this.poller.start();
  }

  /** Registers a Ready node. */
  public FakeNode addNode(FakeNode node) {
    nodes.put(node.name(), node);
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node.name())
        .withLabels(node.labels()).endMetadata().withNewStatus().addNewCondition()
        .withType("Ready").withStatus("True").endCondition()
        .withAddresses(node.address() == null ? List.of()
            : List.of(new io.fabric8.kubernetes.api.model.NodeAddress(node.address(),
                "InternalIP")))
        .endStatus().build()).create();
    return node;
  }

  /**
   * Which nodes' kubelets run: on a node whose K3s is stopped no new Pod starts; its Jobs wait
   * until it runs again.
   */
  public void kubeletRuns(java.util.function.Predicate<String> runs) {
    this.kubeletRuns = runs;
  }

  /** Stops starting new Pods (Jobs wait, as on a node that is down) until resumed. */
  public void pause(boolean paused) {
    this.paused = paused;
  }

  /** Everything a Job's container printed. */
  public String logs(String jobName) {
    return logs.getOrDefault(jobName, "");
  }

  private void pollJobs() {
    while (running) {
      try {
        if (!paused) {
          for (Job job : client.batch().v1().jobs().inNamespace(namespace).list().getItems()) {
            String node = job.getSpec().getTemplate().getSpec().getNodeName();
            if (node != null && !kubeletRuns.test(node)) {
              continue; // its Pod waits for the node's kubelet
            }
            if (seen.add(job.getMetadata().getUid())) {
              runner.submit(() -> run(job));
            }
          }
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // the API server is going away at the end of a test
      }
    }
  }

  private void run(Job job) {
    var template = job.getSpec().getTemplate().getSpec();
    FakeNode node = nodes.get(template.getNodeName());
    if (node == null) {
      return; // no kubelet for that node: the Pod would stay Pending
    }
    var container = template.getContainers().get(0);
    String podName = job.getMetadata().getName() + "-" + UUID.randomUUID().toString()
        .substring(0, 5);
    Map<String, String> labels = new HashMap<>(job.getSpec().getTemplate().getMetadata()
        .getLabels() == null ? Map.of() : job.getSpec().getTemplate().getMetadata().getLabels());
    labels.put("job-name", job.getMetadata().getName());
    Pod wanted = new PodBuilder().withNewMetadata().withName(podName).withLabels(labels)
        .endMetadata().withSpec(job.getSpec().getTemplate().getSpec()).withNewStatus()
        .withPhase("Running").endStatus().build();
    // as the job controller does, the Pod is made once, however long the API server is away
    Pod pod = untilTheApiAnswers(() -> {
      var pods = client.pods().inNamespace(namespace);
      Pod made = pods.withName(podName).get();
      return made != null ? made : pods.resource(wanted).create();
    });
    if (pod == null) {
      return; // the kubelet was closed
    }
    int exit;
    String message;
    StringWriter output = new StringWriter();
    try {
      Path podDir = Files.createTempDirectory("fake-pod-");
      Map<String, Path> mounts = mounts(node, container.getVolumeMounts(), template.getVolumes(),
          podDir);
      Path terminationLog = podDir.resolve("termination-log");
      mounts.put(container.getTerminationMessagePath(), terminationLog);
      List<String> args = new ArrayList<>();
      for (String arg : container.getArgs()) {
        args.add(translate(arg, mounts));
      }
      Map<String, String> env = new HashMap<>(node.env());
      for (EnvVar e : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
        env.put(e.getName(), valueOf(e));
      }
      PrintWriter out = new PrintWriter(output, true);
      exit = entrypoint.run(args, env, out, out);
      message = Files.exists(terminationLog) ? Files.readString(terminationLog) : "";
      if (message.length() > 4096) {
        message = message.substring(0, 4096);
      }
    } catch (IOException | RuntimeException e) {
      exit = 128;
      message = "CreateContainerConfigError: " + e.getMessage();
    }
    logs.put(job.getMetadata().getName(), output.toString());
    String now = clock.instant().toString();
    // a kubelet reports a Pod's end until the API server takes it, and the job controller then
    // ends the Job: neither is lost to an API server that was away (K3s stopped by a restore)
    int code = exit;
    String said = message;
    untilTheApiAnswers(() -> {
      finish(job, podName, code, said, now);
      return true;
    });
  }

  /**
   * {@code call}'s result, made again every 200 ms while the API server cannot be reached, is
   * busy or a write conflicts (as a kubelet and the job controller retry); null when the
   * kubelet is closed first.
   */
  private <T> T untilTheApiAnswers(java.util.function.Supplier<T> call) {
    while (running) {
      try {
        return call.get();
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        int code = e.getCode(); // 0: no answer at all
        if (code != 0 && code != 409 && code != 429 && code < 500) {
          throw e;
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException stop) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
    }
    return null;
  }

  private void finish(Job job, String podName, int exit, String message, String now) {
    Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
    if (pod != null) {
      pod.getStatus().setPhase(exit == 0 ? "Succeeded" : "Failed");
      pod.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName("agent")
          .withState(new ContainerStateBuilder().withNewTerminated().withExitCode(exit)
              .withReason(exit == 0 ? "Completed" : "Error").withMessage(message)
              .withFinishedAt(now).endTerminated().build()).build()));
      client.pods().inNamespace(namespace).resource(pod).updateStatus();
    }
    Job current = client.batch().v1().jobs().inNamespace(namespace)
        .withName(job.getMetadata().getName()).get();
    if (current == null || !job.getMetadata().getUid().equals(current.getMetadata().getUid())) {
      return; // gone, or another Job of the same name since
    }
    current.setStatus(current.getStatus() == null
        ? new io.fabric8.kubernetes.api.model.batch.v1.JobStatus() : current.getStatus());
    current.getStatus().setStartTime(now);
    current.getStatus().setActive(0);
    if (exit == 0) {
      current.getStatus().setSucceeded(1);
      current.getStatus().setCompletionTime(now);
    } else {
      current.getStatus().setFailed(1);
    }
    current.getStatus().setConditions(List.of(new JobConditionBuilder()
        .withType(exit == 0 ? "Complete" : "Failed").withStatus("True")
        .withLastTransitionTime(now).build()));
    client.batch().v1().jobs().inNamespace(namespace).resource(current).updateStatus();
  }

  /** Container mount path to the real directory or file behind it. */
  private Map<String, Path> mounts(FakeNode node, List<VolumeMount> volumeMounts,
      List<Volume> volumes, Path podDir) throws IOException {
    Map<String, Path> mounts = new HashMap<>();
    for (VolumeMount m : volumeMounts == null ? List.<VolumeMount>of() : volumeMounts) {
      Volume v = volumes.stream().filter(x -> x.getName().equals(m.getName())).findFirst()
          .orElseThrow(() -> new IOException("no volume " + m.getName()));
      Path real;
      if (v.getHostPath() != null) {
        real = node.path(v.getHostPath().getPath());
        String type = v.getHostPath().getType();
        if ("DirectoryOrCreate".equals(type)) {
          Files.createDirectories(real);
        } else if ("Directory".equals(type) && !Files.isDirectory(real)
            || "File".equals(type) && !Files.isRegularFile(real)) {
          throw new IOException("hostPath " + v.getHostPath().getPath() + " is not a " + type);
        }
      } else if (v.getSecret() != null) {
        real = podDir.resolve("volume-" + v.getName());
        Files.createDirectories(real);
        Secret s = required(() -> client.secrets().inNamespace(namespace)
            .withName(v.getSecret().getSecretName()).get(), "secret "
            + v.getSecret().getSecretName());
        // the API server turns stringData into data; the mock API server keeps it apart
        Map<String, byte[]> values = new java.util.LinkedHashMap<>();
        if (s.getData() != null) {
          s.getData().forEach((k, val) -> values.put(k, Base64.getDecoder().decode(val)));
        }
        if (s.getStringData() != null) {
          s.getStringData().forEach((k, val) -> values.put(k,
              val.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        var items = v.getSecret().getItems();
        if (items == null || items.isEmpty()) {
          for (var e : values.entrySet()) {
            Files.write(real.resolve(e.getKey()), e.getValue());
          }
        }
        for (var item : items == null ? List.<io.fabric8.kubernetes.api.model.KeyToPath>of()
            : items) {
          byte[] value = values.get(item.getKey());
          if (value == null) {
            throw new IOException("secret " + v.getSecret().getSecretName() + " has no key "
                + item.getKey());
          }
          Files.write(real.resolve(item.getPath()), value);
        }
      } else if (v.getEmptyDir() != null) {
        real = Files.createDirectories(podDir.resolve("volume-" + v.getName()));
      } else if (v.getConfigMap() != null) {
        real = podDir.resolve("volume-" + v.getName());
        Files.createDirectories(real);
        var cm = required(() -> client.configMaps().inNamespace(namespace)
            .withName(v.getConfigMap().getName()).get(), "configmap "
            + v.getConfigMap().getName());
        for (var e : cm.getData().entrySet()) {
          Files.writeString(real.resolve(e.getKey()), e.getValue());
        }
      } else {
        throw new IOException("volume " + v.getName() + " of an unsupported kind");
      }
      mounts.put(m.getMountPath(), real);
    }
    return mounts;
  }

  /**
   * What {@code get} reads, read again while the API server is away or busy, as a kubelet does
   * for a Pod's Secrets and ConfigMaps; one that does not exist fails the Pod's start.
   */
  private <T> T required(java.util.function.Supplier<T> get, String what) throws IOException {
    T found = untilTheApiAnswers(get);
    if (found == null) {
      throw new IOException(what + " not found");
    }
    return found;
  }

  private static String translate(String arg, Map<String, Path> mounts) {
    return mounts.keySet().stream()
        .filter(p -> arg.equals(p) || arg.startsWith(p.endsWith("/") ? p : p + "/"))
        .max(Comparator.comparingInt(String::length))
        .map(p -> mounts.get(p).toString() + arg.substring(p.length()))
        .orElse(arg);
  }

  private String valueOf(EnvVar e) throws IOException {
    if (e.getValueFrom() == null || e.getValueFrom().getSecretKeyRef() == null) {
      return e.getValue();
    }
    var ref = e.getValueFrom().getSecretKeyRef();
    Secret s = required(() -> client.secrets().inNamespace(namespace).withName(ref.getName())
        .get(), "secret " + ref.getName());
    String encoded = s.getData().get(ref.getKey());
    if (encoded == null) {
      throw new IllegalStateException("couldn't find key " + ref.getKey() + " in Secret "
          + ref.getName());
    }
    return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    running = false;
    poller.interrupt();
    runner.shutdownNow();
    try {
      runner.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
