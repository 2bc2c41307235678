package dev.k3sbackup.base;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * K3s's own scheduled snapshots on one server node, as its server flags set them: on unless
 * {@code --etcd-disable-snapshots}, {@code --etcd-snapshot-schedule-cron} (default
 * {@value #DEFAULT_CRON}), {@code --etcd-snapshot-retention} (default {@value #DEFAULT_RETENTION}),
 * {@code --etcd-snapshot-name} (default {@value SnapshotName#K3S_SCHEDULED_PREFIX}, the prefix its
 * retention deletes by), {@code --etcd-snapshot-dir} and {@code --etcd-s3}. Read from what K3s
 * itself passes around: the node's {@code k3s.io/node-args} annotation (the running server's
 * command line with config.yaml and its drop-ins expanded, as {@code --key}, {@code value}
 * pairs), or the same built from config.yaml, its drop-ins and the k3s unit's command line.
 *
 * @param enabled whether K3s takes scheduled snapshots
 * @param cron its schedule
 * @param retention how many of its own it keeps (locally, and in S3)
 * @param prefix its snapshots' name prefix
 * @param dir its snapshot dir, or null for the default under the data dir
 * @param dataDir its data dir, or null for the default
 * @param s3 whether it uploads to S3 too
 * @param source where this was read (for messages)
 */
public record K3sSnapshotSchedule(boolean enabled, String cron, int retention, String prefix,
    String dir, String dataDir, boolean s3, String source) {

  public static final String DEFAULT_CRON = "0 */12 * * *";
  public static final int DEFAULT_RETENTION = 5;

  /** K3s's boolean server flags among those read here (and a few common ones). */
  private static final Set<String> BOOLEANS = Set.of("etcd-disable-snapshots", "etcd-s3",
      "cluster-init", "cluster-reset", "etcd-snapshot-compress", "etcd-expose-metrics",
      "disable-agent", "disable-etcd", "etcd-s3-insecure", "etcd-s3-skip-ssl-verify", "debug",
      "secrets-encryption", "disable-network-policy", "disable-helm-controller",
      "disable-kube-proxy", "disable-cloud-controller", "disable-scheduler",
      "disable-controller-manager", "disable-apiserver", "embedded-registry", "rootless",
      "prefer-bundled-bin", "selinux", "protect-kernel-defaults");

  /**
   * Reads K3s's server flags: {@code args} as K3s passes them (after {@code server}; a
   * leading {@code server} is skipped), {@code --key value}, {@code --key=value}, or a bare
   * boolean {@code --key}. A later value of a flag wins, as in K3s.
   *
   * @param source where the arguments come from, for messages
   * @throws IllegalArgumentException when a value K3s would refuse is there (a retention that
   *     is not a number)
   */
  public static K3sSnapshotSchedule fromServerArgs(List<String> args, String source) {
    Map<String, String> flags = flags(args);
    boolean disabled = bool(flags.get("etcd-disable-snapshots"));
    String retention = flags.getOrDefault("etcd-snapshot-retention",
        Integer.toString(DEFAULT_RETENTION));
    int kept;
    try {
      kept = Integer.parseInt(retention.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(source + " sets etcd-snapshot-retention to '"
          + retention + "', which K3s would refuse (not a number)");
    }
    String dataDir = flags.containsKey("data-dir") ? flags.get("data-dir") : flags.get("d");
    return new K3sSnapshotSchedule(!disabled,
        flags.getOrDefault("etcd-snapshot-schedule-cron", DEFAULT_CRON), kept,
        flags.getOrDefault("etcd-snapshot-name", SnapshotName.K3S_SCHEDULED_PREFIX),
        flags.get("etcd-snapshot-dir"), dataDir, bool(flags.get("etcd-s3")), source);
  }

  /**
   * K3s's server flags from its configuration and its command line: each config key as
   * {@code --key value} (one per item of a list), then the command line's own flags, which
   * win, as K3s inserts the config's flags before them.
   */
  public static List<String> serverArgs(K3sConfig config, List<String> commandLine) {
    List<String> args = new ArrayList<>();
    for (String key : config.keys()) {
      for (String value : config.values(key)) {
        args.add((key.length() == 1 ? "-" : "--") + key);
        args.add(value);
      }
    }
    boolean afterServer = false;
    for (String a : commandLine) {
      if (afterServer) {
        args.add(a);
      } else if (a.equals("server")) {
        afterServer = true;
      }
    }
    return args;
  }

  private static Map<String, String> flags(List<String> args) {
    Map<String, String> flags = new java.util.LinkedHashMap<>();
    List<String> rest = args;
    if (!rest.isEmpty() && rest.get(0).equals("server")) {
      rest = rest.subList(1, rest.size());
    }
    for (int i = 0; i < rest.size(); i++) {
      String a = rest.get(i);
      if (!a.startsWith("-")) {
        continue; // a value whose flag was not read as taking one
      }
      String name = a.replaceFirst("^--?", "");
      if (name.contains("=")) {
        flags.put(name.substring(0, name.indexOf('=')), name.substring(name.indexOf('=') + 1));
        continue;
      }
      String next = i + 1 < rest.size() ? rest.get(i + 1) : null;
      if (BOOLEANS.contains(name)) {
        if (next != null && isBool(next)) {
          flags.put(name, next);
          i++;
        } else {
          flags.put(name, "true");
        }
      } else if (next != null && !next.startsWith("--")) {
        flags.put(name, next);
        i++;
      } else {
        flags.put(name, "true");
      }
    }
    return flags;
  }

  private static boolean isBool(String v) {
    return Set.of("1", "t", "true", "0", "f", "false").contains(v.toLowerCase(Locale.ROOT));
  }

  private static boolean bool(String v) {
    return v != null && Set.of("1", "t", "true").contains(v.strip().toLowerCase(Locale.ROOT));
  }

  /**
   * Whether K3s's retention of this schedule would count (and delete) snapshots named
   * {@code <ourPrefix>-...}, or our prune by {@code ourPrefix} K3s's: see
   * {@link SnapshotName#prefixesCollide}.
   */
  public boolean collidesWith(String ourPrefix) {
    return SnapshotName.prefixesCollide(ourPrefix, prefix);
  }

  /** One line for a condition: what K3s does on the node. */
  public String describe() {
    return enabled ? "takes its own snapshots ('" + cron + "', prefix " + prefix + ", "
        + retention + " kept" + (s3 ? ", also to S3" : "") + ")"
        : "has its own snapshots disabled (etcd-disable-snapshots)";
  }
}
