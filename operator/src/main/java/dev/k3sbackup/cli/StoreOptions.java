package dev.k3sbackup.cli;

import dev.k3sbackup.base.GoDuration;
import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.contract.S3Settings;
import dev.k3sbackup.storage.LocalSnapshotDir;
import dev.k3sbackup.storage.S3Config;
import dev.k3sbackup.storage.S3SnapshotStore;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where snapshots live: K3s's data dir, snapshot dir and {@code --etcd-s3-*} flags. */
public class StoreOptions {

  @Option(names = "--data-dir", defaultValue = K3sLayout.DEFAULT_DATA_DIR,
      description = "K3s data dir (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = {"--dir", "--etcd-snapshot-dir"},
      description = "Snapshot dir (default: $${data-dir}/server/db/snapshots)")
  Path dir;

  @Option(names = {S3Settings.S3, "--etcd-s3"}, description = "Also use S3")
  boolean s3;

  @Option(names = {S3Settings.ENDPOINT, "--etcd-s3-endpoint"}, defaultValue = S3Config.DEFAULT_ENDPOINT,
      description = "S3 endpoint host[:port] (default: ${DEFAULT-VALUE})")
  String s3Endpoint;

  @Option(names = {S3Settings.ENDPOINT_CA, "--etcd-s3-endpoint-ca"},
      description = "CA bundle to trust for the S3 endpoint")
  Path s3EndpointCa;

  @Option(names = {S3Settings.SKIP_SSL_VERIFY, "--etcd-s3-skip-ssl-verify"},
      description = "Do not verify the S3 endpoint's certificate")
  boolean s3SkipSslVerify;

  @Option(names = {S3Settings.ACCESS_KEY, "--etcd-s3-access-key"},
      description = "S3 access key (default: $AWS_ACCESS_KEY_ID)")
  String s3AccessKey;

  @Option(names = {S3Settings.SECRET_KEY, "--etcd-s3-secret-key"},
      description = "S3 secret key (default: $AWS_SECRET_ACCESS_KEY)")
  String s3SecretKey;

  @Option(names = {S3Settings.BUCKET, "--etcd-s3-bucket"}, description = "S3 bucket (must exist)")
  String s3Bucket;

  @Option(names = {S3Settings.REGION, "--etcd-s3-region"}, defaultValue = S3Config.DEFAULT_REGION,
      description = "S3 region (default: ${DEFAULT-VALUE})")
  String s3Region;

  @Option(names = {S3Settings.FOLDER, "--etcd-s3-folder"}, defaultValue = "",
      description = "Folder inside the bucket")
  String s3Folder;

  @Option(names = {S3Settings.INSECURE, "--etcd-s3-insecure"},
      description = "Use plain http to reach S3")
  boolean s3Insecure;

  @Option(names = {S3Settings.TIMEOUT, "--etcd-s3-timeout"}, defaultValue = "5m",
      description = "S3 request timeout, e.g. 30s, 5m (default: ${DEFAULT-VALUE})")
  String s3Timeout;

  /** K3s's files on this node, from {@code --data-dir} and {@code --dir}. */
  K3sLayout layout() {
    return new K3sLayout(dataDir, dir);
  }

  Path snapshotDir() {
    return layout().snapshotDir();
  }

  LocalSnapshotDir local() {
    return new LocalSnapshotDir(snapshotDir());
  }

  /** The S3 settings when {@code --s3} is given, else null; keys fall back to the environment. */
  S3Config s3Config(Map<String, String> env) {
    if (!s3) {
      return null;
    }
    String access = s3AccessKey != null ? s3AccessKey : env.get(S3Settings.ACCESS_KEY_ENV);
    String secret = s3SecretKey != null ? s3SecretKey : env.get(S3Settings.SECRET_KEY_ENV);
    return new S3Config(s3Endpoint, s3EndpointCa, s3SkipSslVerify, blankToNull(access),
        blankToNull(secret), s3Bucket, s3Region, s3Folder, s3Insecure,
        GoDuration.parse(S3Settings.TIMEOUT, s3Timeout));
  }

  S3SnapshotStore s3Store(Map<String, String> env) {
    S3Config config = s3Config(env);
    return config == null ? null : S3SnapshotStore.connect(config);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
