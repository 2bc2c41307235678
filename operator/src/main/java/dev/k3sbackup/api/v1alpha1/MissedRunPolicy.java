package dev.k3sbackup.api.v1alpha1;

/** What to do about runs that fell while the operator was not running. */
public enum MissedRunPolicy {
  /** Take one snapshot now for the most recent missed run (once, however many were missed). */
  RunOnce,
  /** Do nothing until the next run. */
  Skip
}
