package dev.k3sbackup.cli;

import dev.k3sbackup.base.K3sConfig;
import dev.k3sbackup.base.SnapshotException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The values of flags not given on the command line, found as {@code k3s etcd-snapshot} finds
 * them: in K3s's config file and its drop-ins ({@link K3sConfig}), under the flag's name or one
 * of K3s's aliases for it, then in K3s's environment variables. The command line wins over both,
 * as in K3s, where config values are inserted before the typed flags.
 *
 * <p>Only K3s's own names count in the file: this CLI's extra aliases (such as
 * {@code --etcd-snapshot-name} for {@code --name}) are command-line conveniences, and a config
 * key K3s's {@code etcd-snapshot} does not know (the server's {@code token}, {@code server},
 * {@code etcd-snapshot-name}...) is skipped with K3s's own warning.
 */
final class K3sFlagDefaults implements IDefaultValueProvider {

  /**
   * K3s's {@code etcd-snapshot} flags with their aliases, as in K3s v1.34's
   * {@code pkg/cli/cmds/etcd_snapshot.go} (every verb takes them all).
   */
  static final List<List<String>> K3S_FLAGS = List.of(
      List.of("debug"), List.of("config", "c"), List.of("log", "l"), List.of("alsologtostderr"),
      List.of("node-name"), List.of("data-dir", "d"), List.of("etcd-token", "t"),
      List.of("etcd-server", "s"), List.of("dir", "etcd-snapshot-dir"), List.of("name"),
      List.of("snapshot-compress", "etcd-snapshot-compress"),
      List.of("snapshot-retention", "etcd-snapshot-retention"),
      List.of("s3", "etcd-s3"), List.of("s3-endpoint", "etcd-s3-endpoint"),
      List.of("s3-endpoint-ca", "etcd-s3-endpoint-ca"),
      List.of("s3-skip-ssl-verify", "etcd-s3-skip-ssl-verify"),
      List.of("s3-access-key", "etcd-s3-access-key"),
      List.of("s3-secret-key", "etcd-s3-secret-key"),
      List.of("s3-session-token", "etcd-s3-session-token"),
      List.of("s3-bucket", "etcd-s3-bucket"),
      List.of("s3-bucket-lookup-type", "etcd-s3-bucket-lookup-type"),
      List.of("s3-region", "etcd-s3-region"), List.of("s3-retention", "etcd-s3-retention"),
      List.of("s3-folder", "etcd-s3-folder"), List.of("s3-proxy", "etcd-s3-proxy"),
      List.of("s3-config-secret", "etcd-s3-config-secret"),
      List.of("s3-insecure", "etcd-s3-insecure"), List.of("s3-timeout", "etcd-s3-timeout"));

  /** K3s's environment variables for its flags (the AWS keys are read where they are used). */
  private static final Map<String, String> K3S_ENV = Map.of("data-dir", "K3S_DATA_DIR");

  private final K3sConfig config;
  private final Map<String, String> env;

  K3sFlagDefaults(K3sConfig config, Map<String, String> env) {
    this.config = config;
    this.env = env;
  }

  /**
   * Reads the config file this command line names ({@code K3S_CONFIG_FILE}, else
   * {@code --config}/{@code -c} anywhere in {@code args}, else K3s's default), warning as K3s
   * does about each key that is not one of its {@code etcd-snapshot} flags.
   */
  static K3sFlagDefaults forCommandLine(Map<String, String> env, String[] args,
      java.io.PrintWriter err) {
    var file = K3sConfig.locate(env, configFlag(args));
    K3sConfig config;
    try {
      config = K3sConfig.read(file);
    } catch (IOException e) {
      throw SnapshotException.badInput(e.getMessage() + ": fix the file, or name another with "
          + "--config (or K3S_CONFIG_FILE)");
    }
    Set<String> known = new java.util.HashSet<>();
    K3S_FLAGS.forEach(known::addAll);
    for (String key : config.keys()) {
      if (!known.contains(key)) {
        err.println("warning: Unknown flag --" + key + " found in config.yaml, skipping");
      }
    }
    return new K3sFlagDefaults(config, env);
  }

  /** The value of {@code --config} / {@code -c} among {@code args}, as K3s scans for it. */
  static String configFlag(String[] args) {
    String found = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("--config") || a.equals("-c")) && i + 1 < args.length) {
        found = args[++i];
      } else if (a.startsWith("--config=")) {
        found = a.substring("--config=".length());
      } else if (a.startsWith("-c=")) {
        found = a.substring("-c=".length());
      }
    }
    return found;
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option)) {
      return null;
    }
    List<String> k3sNames = k3sNames(option);
    if (k3sNames.isEmpty()) {
      return null;
    }
    var fromConfig = config.value(k3sNames);
    if (fromConfig.isPresent()) {
      return fromConfig.get();
    }
    String envName = K3S_ENV.get(k3sNames.get(0));
    String fromEnv = envName == null ? null : env.get(envName);
    return fromEnv == null || fromEnv.isBlank() ? null : fromEnv;
  }

  /** K3s's names (flag and aliases) for {@code option}, or none when K3s has no such flag. */
  static List<String> k3sNames(OptionSpec option) {
    for (String name : option.names()) {
      String bare = name.replaceFirst("^-+", "");
      for (List<String> flag : K3S_FLAGS) {
        if (flag.contains(bare)) {
          return flag;
        }
      }
    }
    return new ArrayList<>();
  }
}
