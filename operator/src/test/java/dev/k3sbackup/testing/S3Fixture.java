package dev.k3sbackup.testing;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.messages.Item;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Test-side access to the in-process S3 server (S3Proxy): what is really in the bucket. */
public final class S3Fixture {

  public static final String ACCESS_KEY = "AKIATESTACCESSKEY";
  public static final String SECRET_KEY = "wJalrXUtnFEMI-test-secret-never-printed";

  /** An in-process S3 server with the test keys (one per test method). */
  public static org.gaul.s3proxy.junit.S3ProxyExtension server() {
    return org.gaul.s3proxy.junit.S3ProxyExtension.builder()
        .withCredentials(ACCESS_KEY, SECRET_KEY).build();
  }

  /** A Secret holding the test keys under K3s's (and AWS's) usual key names. */
  public static void createKeySecret(io.fabric8.kubernetes.client.KubernetesClient client,
      String namespace, String name) {
    var b64 = java.util.Base64.getEncoder();
    client.secrets().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model
        .SecretBuilder().withNewMetadata().withName(name).endMetadata()
        .addToData("AWS_ACCESS_KEY_ID", b64.encodeToString(ACCESS_KEY.getBytes()))
        .addToData("AWS_SECRET_ACCESS_KEY", b64.encodeToString(SECRET_KEY.getBytes()))
        .build()).create();
  }

  /** The S3 storage block of a snapshot spec pointing at this server. */
  public dev.k3sbackup.api.v1alpha1.S3Storage storage(String bucket, String folder,
      String secretName) {
    var s3 = new dev.k3sbackup.api.v1alpha1.S3Storage();
    s3.endpoint = endpoint();
    s3.insecure = true;
    s3.bucket = bucket;
    s3.folder = folder;
    s3.credentials = new dev.k3sbackup.api.v1alpha1.S3Credentials();
    s3.credentials.secretName = secretName;
    return s3;
  }

  private final URI uri;
  private final MinioClient client;

  public S3Fixture(URI uri) {
    this.uri = uri;
    this.client = MinioClient.builder().endpoint(uri.toString())
        .credentials(ACCESS_KEY, SECRET_KEY).build();
  }

  /** host:port, as K3s's --etcd-s3-endpoint takes it. */
  public String endpoint() {
    return uri.getHost() + ":" + uri.getPort();
  }

  public int port() {
    return uri.getPort();
  }

  public S3Fixture bucket(String name) throws Exception {
    if (!client.bucketExists(BucketExistsArgs.builder().bucket(name).build())) {
      client.makeBucket(MakeBucketArgs.builder().bucket(name).build());
    }
    return this;
  }

  /** Every key in the bucket (all folders), sorted. */
  public TreeSet<String> keys(String bucket) throws Exception {
    TreeSet<String> keys = new TreeSet<>();
    for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(bucket)
        .recursive(true).build())) {
      keys.add(r.get().objectName());
    }
    return keys;
  }

  public StatObjectResponse stat(String bucket, String key) throws Exception {
    return client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
  }

  public Path download(String bucket, String key, Path to) throws Exception {
    try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key)
        .build())) {
      Files.copy(in, to);
    }
    return to;
  }

  public String text(String bucket, String key) throws Exception {
    try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key)
        .build())) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** Uploads a file as K3s would: its user metadata, no sidecar. */
  public void putAsK3s(String bucket, String key, Path file, String node) throws Exception {
    client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
        .stream(Files.newInputStream(file), Files.size(file), -1L)
        .userMetadata(Map.of("K3s-Node-Name", node, "K3s-Cluster-Id", "cluster-uid",
            "K3s-Token-Hash", "0123456789ab"))
        .build());
  }

  public void remove(String bucket, String key) throws Exception {
    client.removeObject(io.minio.RemoveObjectArgs.builder().bucket(bucket).object(key).build());
  }

  /** The common S3 flags for the CLI, pointing at this server over plain http. */
  public List<String> flags(String bucket, String folder) {
    List<String> f = new ArrayList<>(List.of("--s3", "--s3-endpoint", endpoint(), "--s3-insecure",
        "--s3-bucket", bucket, "--s3-access-key", ACCESS_KEY, "--s3-secret-key", SECRET_KEY));
    if (folder != null) {
      f.addAll(List.of("--s3-folder", folder));
    }
    return f;
  }
}
