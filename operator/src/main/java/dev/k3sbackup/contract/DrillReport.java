package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.k3sbackup.api.v1alpha1.ResourceKeyCount;
import java.util.List;

/**
 * What a restore drill ({@code etcd-snapshot drill}) found, printed with {@code -o json|yaml} and
 * reported by a drill Job to the operator, which copies it into the snapshot's
 * {@code status.drill}. On failure the agent's result carries the message and, as far as the
 * drill got, this report.
 *
 * @param name the snapshot's file name
 * @param source where it was read: {@code file://...} on the node, or {@code s3://...} fetched
 *     into the drill's temporary dir
 * @param sha256 sha256 of the stored bytes, computed by the drill
 * @param size bytes stored
 * @param etcdVersion the version of the throwaway etcd that served it
 * @param revision the revision the restored etcd served, read with a linearizable read
 * @param keys keys under {@code /registry/}
 * @param resourceTypes how many resource types have keys there
 * @param keyCounts keys per resource type, most numerous first, at most the top few
 * @param timings how long each step took, in seconds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DrillReport(String name, String source, String sha256, Long size,
    String etcdVersion, Long revision, Long keys, Integer resourceTypes,
    List<ResourceKeyCount> keyCounts, Timings timings) {

  /** This report with other timings. */
  public DrillReport withTimings(Timings t) {
    return new DrillReport(name, source, sha256, size, etcdVersion, revision, keys,
        resourceTypes, keyCounts, t);
  }

  /**
   * Seconds per step.
   *
   * @param check reading the snapshot once: sha256 and etcd's trailer (and the copy from S3 or
   *     out of the zip)
   * @param restore {@code etcdutl snapshot restore} into the temporary data dir
   * @param start the throwaway etcd's start until it answers a linearizable read
   * @param read reading every key under {@code /registry/} back
   * @param total all of it, stop and clean-up included
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Timings(Double check, Double restore, Double start, Double read, Double total) {}
}
