package dev.k3sbackup.api;

/** The labels the operator reads and writes, on its resources, Jobs and K3s's nodes. */
public final class Labels {

  /** K3s's etcd server nodes carry {@code node-role.kubernetes.io/etcd=true}. */
  public static final String ETCD_NODE_ROLE = "node-role.kubernetes.io/etcd";
  /** On every node agent Job and its Pod, with value {@link #MANAGED_BY_US}. */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY_US = "k3s-etcd-backup";
  /** On a node agent Job: the resource it works for (an EtcdSnapshot or EtcdRestore name). */
  public static final String SNAPSHOT = "k3sbackup.dev/snapshot";
  /** On a node agent Job: the kind of the resource it works for (EtcdSnapshot, EtcdRestore). */
  public static final String OWNER_KIND = "k3sbackup.dev/owner-kind";
  /**
   * On a node agent Job: the namespace of the resource it works for (Jobs always run in the
   * operator's namespace, so an owner reference cannot name a resource elsewhere).
   */
  public static final String OWNER_NAMESPACE = "k3sbackup.dev/owner-namespace";
  /**
   * On a node agent Job: the uid of the resource it works for, so that a resource made again
   * under the same name never takes the Jobs of the one before it for its own.
   */
  public static final String OWNER_UID = "k3sbackup.dev/owner-uid";
  /** On a node agent Job: what it does (save, delete, list, restore, ...). */
  public static final String OPERATION = "k3sbackup.dev/operation";
  /** On a schedule's EtcdSnapshot: the schedule's name. */
  public static final String SCHEDULE = "k3sbackup.dev/schedule";
  /** On a schedule's EtcdSnapshot: the run's scheduled time in epoch minutes. */
  public static final String SCHEDULED_MINUTE = "k3sbackup.dev/scheduled-minute";
  /** On an EtcdSnapshot found without a resource (made by K3s itself, or before we ran). */
  public static final String ADOPTED = "k3sbackup.dev/adopted";
  /**
   * On a schedule's EtcdSnapshot taken on any one node (nodeSelection AnyOne): another etcd
   * node may take it when the chosen one is not Ready.
   */
  public static final String ANY_NODE = "k3sbackup.dev/any-node";
  /** On a restore's safety EtcdSnapshot: the EtcdRestore it was taken for. */
  public static final String RESTORE = "k3sbackup.dev/restore";

  private Labels() {}
}
