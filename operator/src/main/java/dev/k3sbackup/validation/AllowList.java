package dev.k3sbackup.validation;

import dev.k3sbackup.api.v1alpha1.LocalStorage;
import dev.k3sbackup.base.K3sLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a resource may name, as the operator's admin allows it: node agent Jobs write as root
 * wherever {@code local.dataDir} and {@code local.dir} say, and upload all of etcd (every Secret
 * of the cluster) wherever {@code s3.endpoint} says. From the operator's environment:
 *
 * <ul>
 *   <li>{@value #DATA_DIRS_ENV}: the K3s data dirs a spec's {@code local.dataDir} may be
 *       (comma-separated; default {@value K3sLayout#DEFAULT_DATA_DIR}).
 *   <li>{@value #SNAPSHOT_DIRS_ENV}: dirs a spec's {@code local.dir} may lie under besides its
 *       data dir (comma-separated; default none: only under the data dir, where K3s keeps its
 *       own snapshots).
 *   <li>{@value #S3_ENDPOINTS_ENV}: the S3 endpoints ({@code host[:port]}) a spec may upload to
 *       (comma-separated; default any).
 * </ul>
 *
 * @param dataDirs the allowed data dirs
 * @param snapshotDirs dirs a snapshot dir may lie under besides its data dir
 * @param s3Endpoints the allowed S3 endpoints, lower-case; empty for any
 */
public record AllowList(List<Path> dataDirs, List<Path> snapshotDirs, List<String> s3Endpoints) {

  public static final String DATA_DIRS_ENV = "ALLOWED_DATA_DIRS";
  public static final String SNAPSHOT_DIRS_ENV = "ALLOWED_SNAPSHOT_DIRS";
  public static final String S3_ENDPOINTS_ENV = "ALLOWED_S3_ENDPOINTS";

  public AllowList {
    dataDirs = List.copyOf(dataDirs);
    snapshotDirs = List.copyOf(snapshotDirs);
    s3Endpoints = List.copyOf(s3Endpoints);
  }

  /** Any data dir, any snapshot dir, any endpoint: for checks that leave these to the operator. */
  public static final AllowList ANY = new AllowList(List.of(), List.of(Path.of("/")), List.of());

  /** K3s's data dir only, snapshots under it, any S3 endpoint. */
  public static AllowList defaults() {
    return new AllowList(List.of(Path.of(K3sLayout.DEFAULT_DATA_DIR)), List.of(), List.of());
  }

  /**
   * Reads the operator's environment.
   *
   * @throws IllegalArgumentException naming the variable when a dir is not absolute
   */
  public static AllowList fromEnv(Map<String, String> env) {
    List<Path> data = dirs(env, DATA_DIRS_ENV);
    List<String> endpoints = new ArrayList<>();
    for (String e : items(env.get(S3_ENDPOINTS_ENV))) {
      if (e.contains("/") || e.contains(" ")) {
        throw new IllegalArgumentException(S3_ENDPOINTS_ENV + " entry '" + e + "' must be a "
            + "host or host:port, without scheme or path (e.g. s3.amazonaws.com,minio:9000)");
      }
      endpoints.add(e.toLowerCase(Locale.ROOT));
    }
    return new AllowList(data.isEmpty() ? defaults().dataDirs() : data,
        dirs(env, SNAPSHOT_DIRS_ENV), endpoints);
  }

  private static List<Path> dirs(Map<String, String> env, String name) {
    List<Path> out = new ArrayList<>();
    for (String d : items(env.get(name))) {
      Path p = Path.of(d);
      if (!p.isAbsolute() || d.contains("..") || p.normalize().getParent() == null) {
        throw new IllegalArgumentException(name + " entry '" + d + "' must be an absolute dir "
            + "other than /, without '..'");
      }
      out.add(p.normalize());
    }
    return out;
  }

  private static List<String> items(String value) {
    List<String> out = new ArrayList<>();
    if (value != null) {
      for (String s : value.split(",")) {
        if (!s.isBlank()) {
          out.add(s.strip());
        }
      }
    }
    return out;
  }

  /**
   * Checks a spec's {@code local} block: its data dir is allowed, its snapshot dir lies under
   * that data dir or an allowed dir.
   *
   * @param field where the block sits, e.g. {@code spec.local}
   */
  public Optional<SpecProblem> checkLocal(LocalStorage local, String field) {
    K3sLayout k3s = local.layout();
    Path dataDir = k3s.dataDir().normalize();
    if (!dataDirs.isEmpty() && !dataDirs.contains(dataDir)) {
      return Optional.of(new SpecProblem("DirNotAllowed", field + ".dataDir '" + dataDir
          + "' is not a K3s data dir this operator may use (" + DATA_DIRS_ENV + ": "
          + join(dataDirs) + "): leave it out for K3s's default, or have the operator's admin "
          + "add it to " + DATA_DIRS_ENV));
    }
    Path dir = k3s.snapshotDir().normalize();
    boolean under = dir.startsWith(dataDir) && !dir.equals(dataDir)
        || snapshotDirs.stream().anyMatch(dir::startsWith);
    if (!under) {
      return Optional.of(new SpecProblem("DirNotAllowed", field + ".dir '" + dir + "' lies "
          + "outside the dirs this operator may write as root: it must lie under the K3s data "
          + "dir " + dataDir + (snapshotDirs.isEmpty() ? "" : " or under one of "
          + join(snapshotDirs)) + "; leave it out for K3s's default ("
          + K3sLayout.of(dataDir).snapshotDir() + "), or have the operator's admin add it to "
          + SNAPSHOT_DIRS_ENV));
    }
    return Optional.empty();
  }

  /**
   * Checks an S3 endpoint ({@code host[:port]}) against the allowed ones.
   *
   * @param field the field that names it, e.g. {@code spec.s3.endpoint}
   */
  public Optional<SpecProblem> checkEndpoint(String endpoint, String field) {
    if (s3Endpoints.isEmpty() || s3Endpoints.contains(endpoint.toLowerCase(Locale.ROOT))) {
      return Optional.empty();
    }
    return Optional.of(new SpecProblem("EndpointNotAllowed", field + " '" + endpoint + "' is "
        + "not an S3 endpoint this operator may upload etcd to (" + S3_ENDPOINTS_ENV + ": "
        + String.join(", ", s3Endpoints) + "): use one of those, or have the operator's admin "
        + "add it to " + S3_ENDPOINTS_ENV));
  }

  private static String join(List<Path> dirs) {
    return String.join(", ", dirs.stream().map(Path::toString).toList());
  }
}
