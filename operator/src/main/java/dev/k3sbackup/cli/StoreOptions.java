package dev.k3sbackup.cli;

import dev.k3sbackup.base.GoDuration;
import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.contract.S3Settings;
import dev.k3sbackup.storage.LocalSnapshotDir;
import dev.k3sbackup.storage.S3Config;
import dev.k3sbackup.storage.S3SnapshotStore;
import dev.k3sbackup.base.K3sConfig;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.snapshot.ServerTokenHash;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * K3s's {@code etcd-snapshot} flag set, which K3s gives every verb ({@code save}, {@code delete},
 * {@code ls}/{@code list}/{@code l}, {@code prune}) alike, so that a command line or config file
 * written for {@code k3s etcd-snapshot} runs here unchanged. Unset flags take their value from
 * K3s's config file ({@link K3sFlagDefaults}), then from K3s's environment variables, then K3s's
 * defaults. A few of K3s's flags mean something else here, and say so: {@code --etcd-server}
 * (K3s's CLI asks a server's supervisor to take the snapshot; this one takes it from the etcd of
 * the node it runs on) and {@code --s3-config-secret} (read through the API server by K3s).
 */
public class StoreOptions {

  @Option(names = {"--data-dir", "-d"}, defaultValue = K3sLayout.DEFAULT_DATA_DIR,
      description = "K3s data dir (default: ${DEFAULT-VALUE}; $K3S_DATA_DIR)")
  Path dataDir;

  @Option(names = {"--dir", "--etcd-snapshot-dir"},
      description = "Snapshot dir (default: $${data-dir}/server/db/snapshots)")
  Path dir;

  @Option(names = {"--name", "--etcd-snapshot-name"}, defaultValue = SnapshotName.K3S_ON_DEMAND_PREFIX,
      description = "Snapshot name prefix: what save names and prune counts "
          + "(default: ${DEFAULT-VALUE})")
  String name;

  @Option(names = "--node-name",
      description = "This node's name (default: $K3S_NODE_NAME, $NODE_NAME, the host name)")
  String nodeName;

  @Option(names = {"--snapshot-compress", "--etcd-snapshot-compress"},
      description = "save: write K3s's compressed .zip form")
  boolean compress;

  @Option(names = {"--snapshot-retention", "--etcd-snapshot-retention"},
      description = "prune: how many to keep (default: 5)")
  Integer retention;

  @Option(names = {"--etcd-token", "-t"}, paramLabel = "TOKEN",
      description = "K3s's server token, for the token hash recorded with a snapshot (default: "
          + "$${data-dir}/server/token)")
  String etcdToken;

  @Option(names = {"--etcd-server", "-s"}, paramLabel = "URL",
      description = "K3s's supervisor URL; only this node's own (https://127.0.0.1:6443, the "
          + "default) is taken: snapshots come from this node's etcd (see --endpoints)")
  String etcdServer;

  @Option(names = {"--config", "-c"}, paramLabel = "FILE",
      description = "K3s's config file (default: $K3S_CONFIG_FILE, else "
          + K3sConfig.DEFAULT_FILE + "; its etcd-snapshot keys and config.yaml.d/ are read)")
  Path config;

  @Option(names = "--debug", description = "Log at debug level ($K3S_DEBUG)")
  boolean debug;

  @Option(names = {"--log", "-l"}, paramLabel = "FILE",
      description = "Log to FILE instead of stderr")
  Path log;

  @Option(names = "--alsologtostderr", description = "With --log: log to stderr too")
  boolean alsoLogToStderr;

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

  @Option(names = {"--s3-session-token", "--etcd-s3-session-token"},
      description = "S3 session token of temporary credentials (default: $AWS_SESSION_TOKEN)")
  String s3SessionToken;

  @Option(names = {S3Settings.BUCKET, "--etcd-s3-bucket"}, description = "S3 bucket (must exist)")
  String s3Bucket;

  @Option(names = {"--s3-bucket-lookup-type", "--etcd-s3-bucket-lookup-type"},
      paramLabel = "auto|dns|path",
      description = "Bucket in the host name (dns) or the path (path) (default: auto)")
  String s3BucketLookupType;

  @Option(names = {S3Settings.REGION, "--etcd-s3-region"}, defaultValue = S3Config.DEFAULT_REGION,
      description = "S3 region (default: ${DEFAULT-VALUE})")
  String s3Region;

  @Option(names = {"--s3-retention", "--etcd-s3-retention"},
      description = "prune: how many to keep in S3 (default: --snapshot-retention); save: when "
          + "given, prunes S3 to it after the upload, as K3s does")
  Integer s3Retention;

  @Option(names = {S3Settings.FOLDER, "--etcd-s3-folder"}, defaultValue = "",
      description = "Folder inside the bucket")
  String s3Folder;

  @Option(names = {"--s3-proxy", "--etcd-s3-proxy"}, paramLabel = "URL",
      description = "HTTP proxy for S3, or none (default: $HTTPS_PROXY/$HTTP_PROXY, $NO_PROXY)")
  String s3Proxy;

  @Option(names = {"--s3-config-secret", "--etcd-s3-config-secret"}, paramLabel = "NAME",
      description = "Not supported here: K3s reads that Secret through the API server; give "
          + "the --s3-* flags or their config.yaml keys")
  String s3ConfigSecret;

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

  /** The node's name: {@code --node-name}, {@code $K3S_NODE_NAME}, {@code $NODE_NAME}, host. */
  String nodeName(Map<String, String> env) {
    for (String candidate : new String[] {nodeName, env.get("K3S_NODE_NAME"),
        env.get("NODE_NAME")}) {
      if (candidate != null && !candidate.isBlank()) {
        return candidate;
      }
    }
    try {
      return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
    } catch (UnknownHostException e) {
      throw SnapshotException.badInput("cannot tell this host's name: give --node-name");
    }
  }

  /**
   * Refuses what cannot mean the same here as in K3s's CLI, naming the flag and what to do
   * instead; K3s's other flags are taken as they are.
   */
  void checkK3sOnlyFlags() {
    if (s3ConfigSecret != null && !s3ConfigSecret.isBlank()) {
      throw SnapshotException.badInput("--s3-config-secret is not supported: K3s reads that "
          + "Secret through the API server, which this CLI does not use; give the --s3-* flags "
          + "(or their etcd-s3-* keys in config.yaml) instead");
    }
    if (etcdServer != null && !etcdServer.isBlank() && !isThisNode(etcdServer)) {
      throw SnapshotException.badInput("--etcd-server " + etcdServer + " names another server: "
          + "this CLI saves from the etcd of the node it runs on; run it on that server (or "
          + "give --endpoints https://<its address>:2379 with its etcd client certificate)");
    }
  }

  private static boolean isThisNode(String url) {
    try {
      String host = java.net.URI.create(url.contains("://") ? url : "https://" + url).getHost();
      return host != null && (host.equals("localhost") || host.equals("::1")
          || host.equals("[::1]") || host.startsWith("127."));
    } catch (IllegalArgumentException e) {
      throw SnapshotException.badInput("--etcd-server '" + url + "' is not a URL: give "
          + "https://127.0.0.1:6443 (K3s's default) or leave it out");
    }
  }

  /** The token hash to record: from {@code --etcd-token}, else the node's token file. */
  java.util.Optional<String> tokenHash(Path tokenFile) {
    if (etcdToken != null && !etcdToken.isBlank()) {
      return java.util.Optional.of(ServerTokenHash.of(etcdToken));
    }
    return ServerTokenHash.fromFile(tokenFile != null ? tokenFile : layout().token());
  }

  /** The S3 settings when {@code --s3} is given, else null; keys fall back to the environment. */
  S3Config s3Config(Map<String, String> env) {
    if (!s3) {
      return null;
    }
    String access = s3AccessKey != null ? s3AccessKey : env.get(S3Settings.ACCESS_KEY_ENV);
    String secret = s3SecretKey != null ? s3SecretKey : env.get(S3Settings.SECRET_KEY_ENV);
    String session = s3SessionToken != null ? s3SessionToken : env.get("AWS_SESSION_TOKEN");
    return new S3Config(s3Endpoint, s3EndpointCa, s3SkipSslVerify, blankToNull(access),
        blankToNull(secret), s3Bucket, s3Region, s3Folder, s3Insecure,
        GoDuration.parse(S3Settings.TIMEOUT, s3Timeout), blankToNull(session),
        S3Config.BucketLookup.parse("--s3-bucket-lookup-type", s3BucketLookupType),
        blankToNull(s3Proxy));
  }

  S3SnapshotStore s3Store(Map<String, String> env) {
    S3Config config = s3Config(env);
    return config == null ? null : S3SnapshotStore.connect(config);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
