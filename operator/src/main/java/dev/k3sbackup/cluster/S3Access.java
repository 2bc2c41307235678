package dev.k3sbackup.cluster;

import dev.k3sbackup.api.v1alpha1.KeyReference;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.contract.S3Settings;
import dev.k3sbackup.storage.S3SnapshotStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/**
 * The operator's own way into an S3 folder named by a spec (for deleting objects and listing
 * them), with the keys read from the referenced Secret. The same engine code as the agent's.
 */
public final class S3Access {

  private final KubernetesClient client;

  public S3Access(KubernetesClient client) {
    this.client = client;
  }

  public S3SnapshotStore open(S3Storage s3, String namespace) {
    String access = null;
    String secretKey = null;
    if (s3.credentials != null) {
      Secret secret = client.secrets().inNamespace(namespace).withName(s3.credentials.secretName)
          .require();
      access = value(secret, s3.credentials.accessKeyIdKeyOrDefault());
      secretKey = value(secret, s3.credentials.secretAccessKeyKeyOrDefault());
    }
    Path ca = s3.endpointCA == null ? null : caFile(s3.endpointCA, namespace);
    return S3SnapshotStore.connect(S3Settings.toConfig(s3, access, secretKey, ca));
  }

  private static String value(Secret secret, String key) {
    Map<String, String> data = secret.getData();
    if (data != null && data.containsKey(key)) {
      return new String(Base64.getDecoder().decode(data.get(key)), StandardCharsets.UTF_8).strip();
    }
    Map<String, String> plain = secret.getStringData();
    return plain == null ? null : plain.get(key);
  }

  private Path caFile(KeyReference ref, String namespace) {
    String pem;
    if (ref.secretName != null) {
      pem = value(client.secrets().inNamespace(namespace).withName(ref.secretName).require(),
          ref.key);
    } else {
      pem = client.configMaps().inNamespace(namespace).withName(ref.configMapName).require()
          .getData().get(ref.key);
    }
    try {
      Path file = Files.createTempFile("s3-ca-", ".crt");
      file.toFile().deleteOnExit();
      Files.writeString(file, pem);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
