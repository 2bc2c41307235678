package dev.k3sbackup.contract;

import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.base.GoDuration;
import dev.k3sbackup.storage.S3Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * K3s's S3 settings, mapped once between their three forms: a resource's {@code s3} block
 * ({@link S3Storage}), the {@code --s3-*} flags (K3s's names, which the CLI, the plugin and the
 * node agent Jobs share) and the engine's {@link S3Config}. The keys never travel as flags of a
 * Job: they come from the Secret as {@link #ACCESS_KEY_ENV} and {@link #SECRET_KEY_ENV}.
 */
public final class S3Settings {

  public static final String S3 = "--s3";
  public static final String ENDPOINT = "--s3-endpoint";
  public static final String ENDPOINT_CA = "--s3-endpoint-ca";
  public static final String SKIP_SSL_VERIFY = "--s3-skip-ssl-verify";
  public static final String ACCESS_KEY = "--s3-access-key";
  public static final String SECRET_KEY = "--s3-secret-key";
  public static final String BUCKET = "--s3-bucket";
  public static final String REGION = "--s3-region";
  public static final String FOLDER = "--s3-folder";
  public static final String INSECURE = "--s3-insecure";
  public static final String TIMEOUT = "--s3-timeout";
  /** Where the CLI takes the keys from when no flag gives them (as K3s and the AWS tools do). */
  public static final String ACCESS_KEY_ENV = "AWS_ACCESS_KEY_ID";
  public static final String SECRET_KEY_ENV = "AWS_SECRET_ACCESS_KEY";

  private S3Settings() {}

  /**
   * A resource's S3 block as the engine's settings; refuses what S3Config refuses, with the
   * flags' names in the message.
   *
   * @param accessKey the access key read from the Secret, or null (anonymous, or only checking)
   * @param secretKey the secret key, or null
   * @param endpointCa the CA bundle as a file, or null
   */
  public static S3Config toConfig(S3Storage s3, String accessKey, String secretKey,
      Path endpointCa) {
    return new S3Config(s3.endpoint, endpointCa, Boolean.TRUE.equals(s3.skipSSLVerify),
        accessKey, secretKey, s3.bucket, s3.region, s3.folder, Boolean.TRUE.equals(s3.insecure),
        blank(s3.timeout) ? null : GoDuration.parse(TIMEOUT, s3.timeout));
  }

  /**
   * A resource's S3 block as the flags of a node agent's {@code etcd-snapshot} verb; settings
   * left out take the CLI's defaults, which are K3s's.
   *
   * @param endpointCaFile where the Job mounts the CA bundle, when the block names one
   */
  public static List<String> toFlags(S3Storage s3, String endpointCaFile) {
    List<String> a = new ArrayList<>(List.of(S3, BUCKET, s3.bucket));
    add(a, ENDPOINT, s3.endpoint);
    add(a, REGION, s3.region);
    add(a, FOLDER, s3.folder);
    add(a, TIMEOUT, s3.timeout);
    if (Boolean.TRUE.equals(s3.insecure)) {
      a.add(INSECURE);
    }
    if (Boolean.TRUE.equals(s3.skipSSLVerify)) {
      a.add(SKIP_SSL_VERIFY);
    }
    if (s3.endpointCA != null) {
      a.addAll(List.of(ENDPOINT_CA, endpointCaFile));
    }
    return a;
  }

  /** Where the folder is, for telling folders apart: {@code endpoint/bucket/folder}. */
  public static String folderKey(S3Storage s3) {
    return (s3.endpoint == null ? S3Config.DEFAULT_ENDPOINT : s3.endpoint) + "/" + s3.bucket + "/"
        + (s3.folder == null ? "" : s3.folder);
  }

  private static void add(List<String> args, String flag, String value) {
    if (!blank(value)) {
      args.add(flag);
      args.add(value);
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
