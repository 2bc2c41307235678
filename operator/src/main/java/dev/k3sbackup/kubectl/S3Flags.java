package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.KeyReference;
import dev.k3sbackup.api.v1alpha1.S3Credentials;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.contract.S3Settings;
import dev.k3sbackup.storage.S3Config;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * K3s's {@code --s3-*} flags of {@code etcd-snapshot save}, written into an EtcdSnapshot's
 * {@code spec.s3}. Keys never go into a resource: they come from a Secret
 * ({@code --s3-credentials}), and K3s's key flags are refused saying so.
 */
final class S3Flags {

  @Option(names = {S3Settings.S3, "--etcd-s3"}, description = "Also upload to S3")
  boolean s3;

  @Option(names = {S3Settings.ENDPOINT, "--etcd-s3-endpoint"}, paramLabel = "HOST[:PORT]",
      description = "S3 endpoint (default: " + S3Config.DEFAULT_ENDPOINT + ")")
  String endpoint;

  @Option(names = {S3Settings.ENDPOINT_CA, "--etcd-s3-endpoint-ca"},
      paramLabel = "configmap/NAME[/KEY]|secret/NAME[/KEY]",
      description = "CA bundle for the endpoint, from a ConfigMap or Secret in the namespace "
          + "(key default: ca.crt)")
  String endpointCa;

  @Option(names = {S3Settings.SKIP_SSL_VERIFY, "--etcd-s3-skip-ssl-verify"},
      description = "Do not verify the S3 endpoint's certificate")
  boolean skipSslVerify;

  @Option(names = {"--s3-credentials"}, paramLabel = "SECRET",
      description = "Secret in the namespace holding AWS_ACCESS_KEY_ID and "
          + "AWS_SECRET_ACCESS_KEY (without it, requests are anonymous)")
  String credentials;

  @Option(names = {S3Settings.ACCESS_KEY, "--etcd-s3-access-key", S3Settings.SECRET_KEY,
      "--etcd-s3-secret-key"}, hidden = true)
  List<String> inlineKeys;

  @Option(names = {S3Settings.BUCKET, "--etcd-s3-bucket"}, description = "S3 bucket (must exist)")
  String bucket;

  @Option(names = {S3Settings.REGION, "--etcd-s3-region"},
      description = "S3 region (default: " + S3Config.DEFAULT_REGION + ")")
  String region;

  @Option(names = {S3Settings.FOLDER, "--etcd-s3-folder"}, description = "Folder inside the bucket")
  String folder;

  @Option(names = {S3Settings.INSECURE, "--etcd-s3-insecure"},
      description = "Use plain http to reach S3")
  boolean insecure;

  @Option(names = {S3Settings.TIMEOUT, "--etcd-s3-timeout"}, paramLabel = "DURATION",
      description = "S3 request timeout, e.g. 30s, 5m (default: 5m)")
  String timeout;

  /** The spec's S3 block, or null without {@code --s3}; refuses flags that do not fit. */
  S3Storage toStorage(String namespace) {
    if (inlineKeys != null) {
      throw SnapshotException.badInput("--s3-access-key and --s3-secret-key are not taken: keys "
          + "never go into a resource. Put them in a Secret (kubectl -n " + namespace
          + " create secret generic s3-keys --from-literal=AWS_ACCESS_KEY_ID=... "
          + "--from-literal=AWS_SECRET_ACCESS_KEY=...) and pass --s3-credentials s3-keys");
    }
    if (!s3) {
      List<String> given = givenDetails();
      if (!given.isEmpty()) {
        throw SnapshotException.badInput(String.join(", ", given) + " given without --s3: add "
            + "--s3 to upload, or drop " + (given.size() == 1 ? "it" : "them"));
      }
      return null;
    }
    S3Storage storage = new S3Storage();
    storage.endpoint = endpoint;
    storage.bucket = bucket;
    storage.region = region;
    storage.folder = folder;
    storage.skipSSLVerify = skipSslVerify ? true : null;
    storage.insecure = insecure ? true : null;
    storage.timeout = timeout;
    if (credentials != null) {
      storage.credentials = new S3Credentials();
      storage.credentials.secretName = credentials;
    }
    if (endpointCa != null) {
      storage.endpointCA = caReference(endpointCa);
    }
    S3Settings.toConfig(storage, null, null, null); // the engine's own checks, with the flags
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw SnapshotException.badInput("--s3-bucket '" + bucket + "' is not a bucket name: 3 "
          + "to 63 lowercase letters, digits, '.' and '-'");
    }
    return storage;
  }

  private List<String> givenDetails() {
    List<String> given = new ArrayList<>();
    addIf(given, endpoint != null, "--s3-endpoint");
    addIf(given, endpointCa != null, "--s3-endpoint-ca");
    addIf(given, skipSslVerify, "--s3-skip-ssl-verify");
    addIf(given, credentials != null, "--s3-credentials");
    addIf(given, bucket != null, "--s3-bucket");
    addIf(given, region != null, "--s3-region");
    addIf(given, folder != null, "--s3-folder");
    addIf(given, insecure, "--s3-insecure");
    addIf(given, timeout != null, "--s3-timeout");
    return given;
  }

  private static void addIf(List<String> list, boolean given, String flag) {
    if (given) {
      list.add(flag);
    }
  }

  /** {@code configmap/NAME[/KEY]} or {@code secret/NAME[/KEY]}. */
  static KeyReference caReference(String value) {
    String[] parts = value.split("/", -1);
    boolean configMap = parts[0].equalsIgnoreCase("configmap") || parts[0].equals("cm");
    boolean secret = parts[0].equalsIgnoreCase("secret");
    if ((!configMap && !secret) || parts.length < 2 || parts.length > 3 || parts[1].isBlank()
        || (parts.length == 3 && parts[2].isBlank())) {
      throw SnapshotException.badInput("--s3-endpoint-ca '" + value + "' must name a ConfigMap or "
          + "Secret in the namespace, as configmap/NAME[/KEY] or secret/NAME[/KEY]: the operator "
          + "cannot read a file on this machine (kubectl create configmap s3-ca "
          + "--from-file=ca.crt=PATH, then --s3-endpoint-ca configmap/s3-ca)");
    }
    KeyReference ref = new KeyReference();
    if (configMap) {
      ref.configMapName = parts[1];
    } else {
      ref.secretName = parts[1];
    }
    ref.key = parts.length == 3 ? parts[2] : "ca.crt";
    return ref;
  }
}
