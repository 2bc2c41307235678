package dev.k3sbackup.api;

/** The annotations the operator reads and writes on its resources. */
public final class Annotations {

  /** On a schedule's EtcdSnapshot: the run's scheduled time (RFC 3339). */
  public static final String SCHEDULED_TIME = "k3sbackup.dev/scheduled-time";
  /** On an adopted EtcdSnapshot whose file disappeared, so that its deletion touches nothing. */
  public static final String FILE_GONE = "k3sbackup.dev/file-gone";
  /** K3s's annotation on an etcd server node: its etcd member's name ({@code <node>-<8 hex>}). */
  public static final String ETCD_MEMBER_NAME = "etcd.k3s.cattle.io/node-name";
  /** On an EtcdRestore recreated from the nodes' journals: the uid of the one the rollback removed. */
  public static final String RECOVERED_FROM_JOURNAL = "k3sbackup.dev/recovered-from-journal";
  /**
   * On an EtcdSnapshot, set by its user: {@code "true"} pins it, so that no retention deletes it
   * (a schedule's, or the plugin's prune).
   */
  public static final String KEEP = "k3sbackup.dev/keep";
  /**
   * On an EtcdSnapshot: asks for a restore drill. Any non-empty value; the drill runs once per
   * value (status.drill.request records the value answered), so a GitOps tool re-applying the
   * same value asks nothing more, and a new value asks again.
   */
  public static final String DRILL = "k3sbackup.dev/drill";
  /** The value of {@link #DRILL} a schedule sets on the runs its {@code drill.every} picks. */
  public static final String DRILL_BY_SCHEDULE = "schedule";
  /**
   * On a schedule's EtcdSnapshot, set by the schedule's retention: its local file goes (its S3
   * copy stays, kept by the S3 count); the value says why.
   */
  public static final String PRUNE_LOCAL = "k3sbackup.dev/prune-local-copy";
  /**
   * On a schedule's EtcdSnapshot, set by the schedule's retention: its S3 object goes (its local
   * file stays, kept by the local count); the value says why. The snapshot's own reconciler
   * deletes the object and writes its status, so that one writer owns each snapshot's status.
   */
  public static final String PRUNE_S3 = "k3sbackup.dev/prune-s3-copy";

  private Annotations() {}

  /** Whether {@code resource} is pinned ({@link #KEEP} is {@code "true"}). */
  public static boolean pinned(io.fabric8.kubernetes.api.model.HasMetadata resource) {
    var a = resource.getMetadata().getAnnotations();
    return a != null && "true".equalsIgnoreCase(a.getOrDefault(KEEP, "").strip());
  }

  /** The value of {@link #DRILL} on {@code resource}, or null when none is asked. */
  public static String drillRequest(io.fabric8.kubernetes.api.model.HasMetadata resource) {
    var a = resource.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(DRILL);
    return v == null || v.isBlank() ? null : v.strip();
  }
}
