package dev.k3sbackup.api.v1alpha1;

/** Which etcd server nodes a scheduled run snapshots. */
public enum NodeSelection {
  /** Any one etcd server node per run (a ready one, rotating). */
  AnyOne,
  /** Every etcd server node, each into its own snapshot dir, as K3s itself does. */
  Every
}
