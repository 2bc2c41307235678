package dev.k3sbackup.storage;

import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.base.SnapshotException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where and how to reach S3, named after K3s's {@code --etcd-s3-*} flags. The secret key is never
 * printed: {@link #toString()} leaves it out.
 *
 * @param endpoint host[:port] ({@code s3.amazonaws.com} by default), or a full http(s) URL
 * @param endpointCa a CA bundle to trust for the endpoint, or null for the system's
 * @param skipSslVerify trust any certificate (K3s's {@code --etcd-s3-skip-ssl-verify})
 * @param accessKey access key id, or null for anonymous
 * @param secretKey secret key, or null
 * @param bucket the bucket, which must already exist
 * @param region the region ({@code us-east-1} by default)
 * @param folder the folder inside the bucket, or empty
 * @param insecure use plain http
 * @param timeout per-request timeout (K3s's default: 5 minutes)
 * @param sessionToken a temporary credential's session token, or null
 * @param bucketLookup how the bucket is addressed: in the host name or in the path
 * @param proxy an HTTP proxy URL, {@code none} for none, or null to follow the environment's
 *     {@code HTTPS_PROXY} / {@code HTTP_PROXY} / {@code NO_PROXY} (K3s's {@code --etcd-s3-proxy})
 */
public record S3Config(
    String endpoint,
    Path endpointCa,
    boolean skipSslVerify,
    String accessKey,
    String secretKey,
    String bucket,
    String region,
    String folder,
    boolean insecure,
    Duration timeout,
    String sessionToken,
    BucketLookup bucketLookup,
    String proxy) {

  /** K3s's {@code --etcd-s3-bucket-lookup-type}. */
  public enum BucketLookup {
    /** The client decides (virtual-host style for AWS, path style elsewhere). */
    AUTO,
    /** {@code bucket.endpoint/key}. */
    DNS,
    /** {@code endpoint/bucket/key}. */
    PATH;

    /** K3s's spelling ({@code auto}, {@code dns}, {@code path}; empty is auto). */
    public static BucketLookup parse(String flag, String value) {
      if (value == null || value.isBlank()) {
        return AUTO;
      }
      return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
        case "auto" -> AUTO;
        case "dns" -> DNS;
        case "path" -> PATH;
        default -> throw SnapshotException.badInput(flag + " '" + value + "' is not a bucket "
            + "lookup type: give auto, dns or path");
      };
    }
  }

  /** Without a session token, lookup type or proxy setting: the defaults. */
  public S3Config(String endpoint, Path endpointCa, boolean skipSslVerify, String accessKey,
      String secretKey, String bucket, String region, String folder, boolean insecure,
      Duration timeout) {
    this(endpoint, endpointCa, skipSslVerify, accessKey, secretKey, bucket, region, folder,
        insecure, timeout, null, BucketLookup.AUTO, null);
  }

  public static final String DEFAULT_ENDPOINT = "s3.amazonaws.com";
  public static final String DEFAULT_REGION = "us-east-1";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  public S3Config {
    if (bucket == null || bucket.isBlank()) {
      throw SnapshotException.badInput("--s3-bucket is required with --s3: name an existing bucket");
    }
    if (bucket.contains("/") || bucket.contains("..")) {
      throw SnapshotException.badInput("--s3-bucket '" + bucket + "' must be a bucket name, "
          + "without '/' or '..': put the path part in --s3-folder");
    }
    folder = normalizeFolder(folder);
    if (endpoint == null || endpoint.isBlank()) {
      endpoint = DEFAULT_ENDPOINT;
    }
    if (region == null || region.isBlank()) {
      region = DEFAULT_REGION;
    }
    if (timeout == null) {
      timeout = DEFAULT_TIMEOUT;
    }
    if (bucketLookup == null) {
      bucketLookup = BucketLookup.AUTO;
    }
    if (sessionToken != null && sessionToken.isBlank()) {
      sessionToken = null;
    }
    if (proxy != null && proxy.isBlank()) {
      proxy = null;
    }
    if (proxy != null && !proxy.equals("none")) {
      try {
        java.net.URI p = java.net.URI.create(proxy);
        if (p.getHost() == null || !("http".equals(p.getScheme())
            || "https".equals(p.getScheme()))) {
          throw new IllegalArgumentException("no http(s) host");
        }
      } catch (IllegalArgumentException e) {
        throw SnapshotException.badInput("--s3-proxy '" + proxy + "' is not a proxy URL: give "
            + "http://host:port, or none for no proxy");
      }
    }
    if ((accessKey == null) != (secretKey == null)) {
      throw SnapshotException.badInput("--s3-access-key and --s3-secret-key go together: give "
          + "both (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or neither");
    }
  }

  /**
   * Accepts {@code ""}, {@code "k3s"} or nested {@code "clusters/prod"} (K3s joins it with
   * path.Join); refuses anything that climbs out of or is ambiguous inside the bucket.
   */
  static String normalizeFolder(String folder) {
    if (folder == null || folder.isEmpty()) {
      return "";
    }
    boolean bad = folder.startsWith("/") || folder.endsWith("/") || folder.contains("//")
        || folder.contains("\\") || folder.chars().anyMatch(Character::isISOControl);
    for (String segment : folder.split("/")) {
      bad |= segment.equals("..") || segment.equals(".") || segment.startsWith(".");
    }
    if (bad) {
      throw SnapshotException.badInput("--s3-folder '" + folder + "' must be a relative folder "
          + "like 'k3s' or 'clusters/prod': no leading or trailing '/', no '..' or '.' parts");
    }
    return folder;
  }

  /** The object key of a snapshot file: {@code path.Join(folder, file)}. */
  public String keyOf(String fileName) {
    return folder.isEmpty() ? fileName : folder + "/" + fileName;
  }

  /** The key of its sidecar: {@code folder/.metadata/file}. */
  public String metadataKeyOf(String fileName) {
    return keyOf(K3sLayout.METADATA_DIR + "/" + fileName);
  }

  public String locationOf(String fileName) {
    return "s3://" + bucket + "/" + keyOf(fileName);
  }

  @Override
  public String toString() {
    return "S3Config[endpoint=" + endpoint + ", bucket=" + bucket + ", folder=" + folder
        + ", region=" + region + ", insecure=" + insecure + ", accessKey="
        + (accessKey == null ? "none" : "set") + ", sessionToken="
        + (sessionToken == null ? "none" : "set") + ", bucketLookup=" + bucketLookup
        + ", proxy=" + (proxy == null ? "environment" : proxy.equals("none") ? "none" : "set")
        + "]";
  }
}
