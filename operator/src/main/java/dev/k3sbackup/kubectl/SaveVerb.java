package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.LocalStorage;
import dev.k3sbackup.cli.OutputOption;
import dev.k3sbackup.validation.AllowList;
import dev.k3sbackup.validation.SnapshotSpecCheck;
import dev.k3sbackup.validation.SpecProblem;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code save}: creates an EtcdSnapshot (K3s's {@code etcd-snapshot save}) and follows it. */
@Command(name = "save", mixinStandardHelpOptions = true,
    description = "Take a snapshot: create an EtcdSnapshot and wait, showing its progress, "
        + "until the operator has saved and verified it (or it failed).")
final class SaveVerb extends PluginVerb {

  /** Where the operator's messages name a spec field, the flag that sets it. */
  private static final Map<String, String> FLAG_OF_FIELD = new LinkedHashMap<>();

  static {
    FLAG_OF_FIELD.put("spec.s3.credentials.secretName", "--s3-credentials");
    FLAG_OF_FIELD.put("spec.s3.credentials", "--s3-credentials");
    FLAG_OF_FIELD.put("spec.s3.endpointCA", "--s3-endpoint-ca");
    FLAG_OF_FIELD.put("spec.local.dataDir", "--data-dir");
    FLAG_OF_FIELD.put("spec.local.dir", "--dir");
    FLAG_OF_FIELD.put("spec.namePrefix", "--name");
    FLAG_OF_FIELD.put("spec.s3.endpoint", "--s3-endpoint");
    FLAG_OF_FIELD.put("spec.encryption.recipientsSecret", "--encrypt-recipients-secret");
  }

  @Option(names = {"--name", "--etcd-snapshot-name"},
      defaultValue = SnapshotName.ON_DEMAND_PREFIX,
      description = "Snapshot name prefix: the file is <prefix>-<node>-<unix seconds> "
          + "(default: ${DEFAULT-VALUE})")
  String name;

  @Option(names = "--node-name", paramLabel = "NODE",
      description = "The etcd server node to snapshot (default: any Ready one)")
  String nodeName;

  @Option(names = {"--snapshot-compress", "--etcd-snapshot-compress"},
      description = "Write K3s's compressed .zip form")
  boolean compress;

  @Option(names = "--data-dir", paramLabel = "PATH",
      description = "K3s data dir on the node (default: /var/lib/rancher/k3s)")
  String dataDir;

  @Option(names = {"--dir", "--etcd-snapshot-dir"}, paramLabel = "PATH",
      description = "Snapshot dir on the node (default: $${data-dir}/server/db/snapshots)")
  String dir;

  @Mixin
  S3Flags s3;

  @Option(names = "--encrypt-recipients-secret", paramLabel = "SECRET",
      description = "Encrypt the snapshot with age on the node, to the X25519 recipients in "
          + "this Secret's key 'recipients' (spec.encryption.recipientsSecret)")
  String encryptRecipientsSecret;

  @Option(names = "--resource-name", paramLabel = "NAME",
      description = "Name of the EtcdSnapshot (default: <prefix>-<unix seconds>, lowercased)")
  String resourceName;

  @Mixin
  WaitOptions wait;

  @Mixin
  OutputOption output;

  @Override
  int run(BackupApi api) {
    EtcdSnapshotSpec spec = spec(api.namespace());
    wait.timeout(); // refuse a bad --timeout before creating anything
    refuseWhatTheOperatorWould(api, spec);
    EtcdSnapshot s = new EtcdSnapshot();
    s.setSpec(spec);
    EtcdSnapshot created = api.createUnique(s, resourceName != null ? resourceName
        : BackupApi.resourceName(name, context().clock().instant().getEpochSecond()));
    String resource = created.getMetadata().getName();
    String where = api.namespace() + "/" + resource;
    if (!wait.wait) {
      print(output, created, "Created EtcdSnapshot " + where + ": follow it with kubectl "
          + "etcdsnapshot describe " + resource + " -n " + api.namespace());
      return 0;
    }
    SaveProgress progress = new SaveProgress(err(), context().terminal());
    EtcdSnapshot done = waiter(wait).until(() -> api.snapshot(resource),
        x -> x == null || SnapshotView.of(x).terminal(),
        x -> progress.accept(x == null ? null : SnapshotView.of(x)),
        x -> "EtcdSnapshot " + where + " is still "
            + (x == null ? "Pending" : SnapshotView.of(x).phase()));
    if (done == null) {
      throw SnapshotException.failed("EtcdSnapshot " + where + " was deleted while we waited",
          null);
    }
    SnapshotView v = SnapshotView.of(done);
    if (!"Succeeded".equals(v.phase())) {
      throw SnapshotException.failed("EtcdSnapshot " + where + " failed: " + v.message(), null);
    }
    StringBuilder text = new StringBuilder("Saved snapshot " + v.name() + " (EtcdSnapshot "
        + where + ") on " + v.node());
    for (var copy : v.copies()) {
      text.append("\n  ").append(copy.location());
    }
    text.append("\n  size ").append(v.size()).append(" bytes, sha256 ").append(v.sha256())
        .append("\n  etcd revision ").append(v.etcdRevision());
    print(output, done, text.toString());
    return 0;
  }

  /** The flags as a spec; refuses what the flags cannot mean. */
  EtcdSnapshotSpec spec(String namespace) {
    SnapshotName.requireSafeComponent("--name", name);
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]*")) {
      throw SnapshotException.badInput("--name '" + name + "' must start with a letter or digit "
          + "and hold only letters, digits, '_' and '-'");
    }
    if (name.length() > SnapshotSpecCheck.MAX_PREFIX) {
      throw SnapshotException.badInput("--name '" + name + "' is " + name.length()
          + " characters: give at most " + SnapshotSpecCheck.MAX_PREFIX + " (the file is "
          + "<prefix>-<node>-<unix seconds>)");
    }
    if (nodeName != null) {
      SnapshotName.requireSafeComponent("--node-name", nodeName);
    }
    BackupApi.requireResourceName("--resource-name", resourceName);
    if (dataDir != null && (!dataDir.startsWith("/") || dataDir.contains(".."))) {
      throw SnapshotException.badInput("--data-dir '" + dataDir + "' must be an absolute path "
          + "on the node, without '..'");
    }
    for (String[] path : new String[][] {{"--data-dir", dataDir}, {"--dir", dir}}) {
      if (path[1] != null && path[1].startsWith("/")
          && dev.k3sbackup.base.K3sLayout.isSystemDir(java.nio.file.Path.of(path[1]))) {
        throw SnapshotException.badInput(path[0] + " '" + path[1] + "' is / or a system dir: "
            + "the node agent writes there as root; leave it out for K3s's default");
      }
    }
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.namePrefix = name;
    spec.node = nodeName;
    spec.compress = compress ? true : null;
    if (dataDir != null || dir != null) {
      spec.local = new LocalStorage();
      spec.local.dataDir = dataDir;
      spec.local.dir = dir;
    }
    spec.s3 = s3.toStorage(namespace);
    if (encryptRecipientsSecret != null) {
      spec.encryption = new dev.k3sbackup.api.v1alpha1.SnapshotEncryption();
      spec.encryption.recipientsSecret = encryptRecipientsSecret;
    }
    return spec;
  }

  /**
   * Runs the operator's own spec check (paths, Secrets and their keys) before creating, so a
   * mistake is refused here, naming the flag, instead of showing up as a Failed resource.
   */
  private static void refuseWhatTheOperatorWould(BackupApi api, EtcdSnapshotSpec spec) {
    Optional<SpecProblem> problem;
    try {
      // the operator's allow-list is its admin's setting: it checks that itself
      problem = new SnapshotSpecCheck(api.client(), AllowList.ANY).check(spec, "spec",
          api.namespace());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        return; // we may not read Secrets; the operator checks them
      }
      throw e;
    }
    if (problem.isPresent()) {
      String message = problem.get().message();
      for (var e : FLAG_OF_FIELD.entrySet()) {
        message = message.replace(e.getKey(), e.getValue());
      }
      throw SnapshotException.badInput(message);
    }
  }
}
