package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.k3sbackup.base.K3sSnapshotSchedule;
import java.util.List;
import java.util.Map;

/**
 * What a node scan Job ({@code etcd-snapshot scan}) reports: the snapshot files in each dir it
 * was given, and K3s's own snapshot schedule as the node's config.yaml, its drop-ins and the k3s
 * unit set it. Kept small (names and sizes only), so that a node's report fits a Job's
 * termination message.
 *
 * @param dirs each dir's snapshots
 * @param k3s K3s's own schedule from the node's files, when they could be read
 * @param k3sProblem why K3s's files could not be read, otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeScanReport(List<DirListing> dirs, K3sSnapshotSchedule k3s, String k3sProblem) {

  /**
   * One snapshot dir.
   *
   * @param dir the dir
   * @param files each snapshot file (K3s's naming) with its size in bytes
   * @param problem why it could not be listed, when it could not
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DirListing(String dir, Map<String, Long> files, String problem) {}
}
