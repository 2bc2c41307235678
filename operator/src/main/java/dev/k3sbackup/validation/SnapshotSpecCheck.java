package dev.k3sbackup.validation;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.KeyReference;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.api.v1alpha1.SnapshotEncryption;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.contract.S3Settings;
import dev.k3sbackup.encryption.AgeRecipients;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a snapshot spec against the cluster before anything is created: the fields the CRD
 * schema cannot check (it is not enforced everywhere) and the Secrets and ConfigMaps it names.
 */
public final class SnapshotSpecCheck {

  /** The longest name prefix: the file name, {@code <prefix>-<node>-<unix>}, must stay short. */
  public static final int MAX_PREFIX = 40;

  private final KubernetesClient client;
  private final AllowList allowed;

  /**
   * @param client reads the Secrets and ConfigMaps a spec names
   * @param allowed the host dirs and S3 endpoints a spec may name
   */
  public SnapshotSpecCheck(KubernetesClient client, AllowList allowed) {
    this.client = client;
    this.allowed = allowed;
  }

  /**
   * @param spec the spec
   * @param field where the spec sits, e.g. {@code spec} or {@code spec.snapshotTemplate}
   * @param namespace where its Secrets and ConfigMaps must be: the operator's namespace, where
   *     the node agent Jobs that read them run
   */
  public Optional<SpecProblem> check(EtcdSnapshotSpec spec, String field, String namespace) {
    if (spec == null) {
      return Optional.of(new SpecProblem("InvalidSpec", field + " is missing"));
    }
    try {
      SnapshotName.requireSafeComponent(field + ".namePrefix", spec.namePrefixOrDefault());
    } catch (SnapshotException e) {
      return Optional.of(new SpecProblem("InvalidSpec", e.getMessage()));
    }
    if (spec.namePrefixOrDefault().length() > MAX_PREFIX) {
      return Optional.of(new SpecProblem("InvalidSpec", field + ".namePrefix is "
          + spec.namePrefixOrDefault().length() + " characters: give at most " + MAX_PREFIX));
    }
    for (String[] path : new String[][] {{"dataDir", spec.localOrDefault().dataDirOrDefault()},
        {"dir", spec.localOrDefault().dirOrDefault()}}) {
      if (!path[1].startsWith("/") || path[1].contains("..")) {
        return Optional.of(new SpecProblem("InvalidSpec", field + ".local." + path[0] + " '"
            + path[1] + "' must be an absolute path without '..'"));
      }
    }
    Optional<SpecProblem> local = allowed.checkLocal(spec.localOrDefault(), field + ".local");
    if (local.isPresent()) {
      return local;
    }
    if (spec.timeout != null) {
      try {
        spec.timeoutOrDefault();
      } catch (SnapshotException e) {
        return Optional.of(new SpecProblem("InvalidSpec", e.getMessage()));
      }
    }
    if (spec.s3 != null) {
      Optional<SpecProblem> s3 = checkS3(spec.s3, field + ".s3", namespace);
      if (s3.isPresent()) {
        return s3;
      }
    }
    return spec.encryption == null ? Optional.empty()
        : checkEncryption(spec.encryption, field + ".encryption", namespace);
  }

  /** The recipients Secret exists and holds age X25519 recipients (public keys). */
  private Optional<SpecProblem> checkEncryption(SnapshotEncryption encryption, String field,
      String namespace) {
    String secretField = field + ".recipientsSecret";
    String key = encryption.recipientsKeyOrDefault();
    if (encryption.recipientsSecret == null || encryption.recipientsSecret.isBlank()) {
      return Optional.of(new SpecProblem("InvalidSpec", secretField + " is required: name the "
          + "Secret holding the age recipients"));
    }
    Secret secret = client.secrets().inNamespace(namespace)
        .withName(encryption.recipientsSecret).get();
    if (secret == null) {
      return Optional.of(new SpecProblem("SecretNotFound", secretField + ": Secret '"
          + encryption.recipientsSecret + "' not found in namespace " + namespace + ": create "
          + "it with the age recipients (age1... public keys, one a line) under key " + key
          + ", e.g. kubectl create secret generic " + encryption.recipientsSecret + " -n "
          + namespace + " --from-literal=" + key + "=$(age-keygen -y key.txt)"));
    }
    String text = value(secret, key);
    if (text == null) {
      return Optional.of(new SpecProblem("SecretKeyNotFound", secretField + ": Secret '"
          + encryption.recipientsSecret + "' has no key " + key + ": add it, or name the key "
          + "in " + field + ".recipientsKey"));
    }
    try {
      AgeRecipients.parse(text, secretField + " (Secret " + encryption.recipientsSecret
          + ", key " + key + ")");
    } catch (SnapshotException e) {
      return Optional.of(new SpecProblem("InvalidRecipients", e.getMessage()));
    }
    return Optional.empty();
  }

  private static String value(Secret secret, String key) {
    if (secret.getData() != null && secret.getData().containsKey(key)) {
      return new String(java.util.Base64.getDecoder().decode(secret.getData().get(key)),
          java.nio.charset.StandardCharsets.UTF_8);
    }
    return secret.getStringData() == null ? null : secret.getStringData().get(key);
  }

  private Optional<SpecProblem> checkS3(S3Storage s3, String field, String namespace) {
    if (s3.bucket == null || s3.bucket.isBlank()) {
      return Optional.of(new SpecProblem("InvalidSpec", field + ".bucket is required: name an "
          + "existing bucket"));
    }
    try {
      S3Settings.toConfig(s3, null, null, null);
    } catch (SnapshotException e) {
      return Optional.of(new SpecProblem("InvalidSpec", field + ": "
          + e.getMessage().replace("--s3-", "s3.")));
    }
    Optional<SpecProblem> endpoint = allowed.checkEndpoint(s3.endpoint == null
        ? S3Storage.DEFAULT_ENDPOINT : s3.endpoint, field + ".endpoint");
    if (endpoint.isPresent()) {
      return endpoint;
    }
    if (s3.credentials != null) {
      String secretField = field + ".credentials.secretName";
      Secret secret = client.secrets().inNamespace(namespace)
          .withName(s3.credentials.secretName).get();
      if (secret == null) {
        return Optional.of(new SpecProblem("SecretNotFound", secretField + ": Secret '"
            + s3.credentials.secretName + "' not found in namespace " + namespace
            + ": create it with keys " + s3.credentials.accessKeyIdKeyOrDefault() + " and "
            + s3.credentials.secretAccessKeyKeyOrDefault()));
      }
      for (String key : new String[] {s3.credentials.accessKeyIdKeyOrDefault(),
          s3.credentials.secretAccessKeyKeyOrDefault()}) {
        if (!has(secret.getData(), key) && !has(secret.getStringData(), key)) {
          return Optional.of(new SpecProblem("SecretKeyNotFound", secretField + ": Secret '"
              + s3.credentials.secretName + "' has no key " + key + ": add it, or name the key "
              + "in " + field + ".credentials"));
        }
      }
    }
    if (s3.endpointCA != null) {
      return checkCa(s3.endpointCA, field + ".endpointCA", namespace);
    }
    return Optional.empty();
  }

  private Optional<SpecProblem> checkCa(KeyReference ref, String field, String namespace) {
    Map<String, String> data;
    String what;
    if (ref.secretName != null) {
      Secret s = client.secrets().inNamespace(namespace).withName(ref.secretName).get();
      data = s == null ? null : s.getData();
      what = "Secret '" + ref.secretName + "'";
    } else if (ref.configMapName != null) {
      ConfigMap c = client.configMaps().inNamespace(namespace).withName(ref.configMapName).get();
      data = c == null ? null : c.getData();
      what = "ConfigMap '" + ref.configMapName + "'";
    } else {
      return Optional.of(new SpecProblem("InvalidSpec", field + ": give secretName or "
          + "configMapName"));
    }
    if (data == null) {
      return Optional.of(new SpecProblem("CANotFound", field + ": " + what + " not found in "
          + "namespace " + namespace));
    }
    if (!has(data, ref.key)) {
      return Optional.of(new SpecProblem("CANotFound", field + ": " + what + " has no key "
          + ref.key));
    }
    return Optional.empty();
  }

  private static boolean has(Map<String, String> data, String key) {
    return data != null && data.containsKey(key);
  }
}
