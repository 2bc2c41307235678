package dev.k3sbackup.api;

/** The annotations the operator writes on its resources. */
public final class Annotations {

  /** On a schedule's EtcdSnapshot: the run's scheduled time (RFC 3339). */
  public static final String SCHEDULED_TIME = "k3sbackup.dev/scheduled-time";
  /** On an adopted EtcdSnapshot whose file disappeared, so that its deletion touches nothing. */
  public static final String FILE_GONE = "k3sbackup.dev/file-gone";
  /** On an EtcdRestore recreated from the nodes' journals: the uid of the one the rollback removed. */
  /** K3s's annotation on an etcd server node: its etcd member's name ({@code <node>-<8 hex>}). */
  public static final String ETCD_MEMBER_NAME = "etcd.k3s.cattle.io/node-name";
  public static final String RECOVERED_FROM_JOURNAL = "k3sbackup.dev/recovered-from-journal";

  private Annotations() {}
}
