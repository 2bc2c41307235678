package dev.k3sbackup.kubectl;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.cli.TerminalProgress;
import dev.k3sbackup.retention.Copy;
import dev.k3sbackup.retention.SnapshotCopies;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * One EtcdSnapshot as the plugin shows it ({@code ls} rows, {@code -o json|yaml}).
 *
 * @param resource the EtcdSnapshot's name
 * @param name the snapshot file (and object) name, once known
 * @param phase Pending, Running, Succeeded or Failed
 * @param node the node it is or was taken on
 * @param localPath the file on the node
 * @param s3Location {@code s3://bucket/key}, when uploaded
 * @param size bytes stored
 * @param sha256 of the stored file
 * @param etcdRevision the etcd revision it holds
 * @param createdAt the time in its name, else when it started, else when it was created
 * @param compressed stored as K3s's {@code .zip}
 * @param adopted found without a resource (made by K3s itself, or before the operator ran)
 * @param bytesDone while running: bytes streamed so far
 * @param bytesTotal while running: bytes etcd said the snapshot has
 * @param message what happened, and what to do when it failed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record SnapshotView(String resource, String name, String phase, String node, String localPath,
    String s3Location, Long size, String sha256, Long etcdRevision, Instant createdAt,
    Boolean compressed, Boolean adopted, Long bytesDone, Long bytesTotal, String message) {

  /** Oldest first, as K3s's {@code ls} lists them; unnamed ones last. */
  static final Comparator<SnapshotView> OLDEST_FIRST = Comparator.comparing(
      SnapshotView::createdAt, Comparator.nullsLast(Comparator.naturalOrder()))
      .thenComparing(SnapshotView::resource);

  static SnapshotView of(EtcdSnapshot s) {
    EtcdSnapshotStatus st = s.getStatus() == null ? new EtcdSnapshotStatus() : s.getStatus();
    Instant created = SnapshotCopies.takenAt(s);
    return new SnapshotView(s.getMetadata().getName(), st.snapshotName,
        st.phaseOrPending().name(), st.node, st.localPath,
        st.s3 == null ? null : st.s3.location, st.size, st.sha256, st.etcdRevision, created,
        st.compressed, st.adopted,
        st.progress == null ? null : st.progress.bytesDone,
        st.progress == null ? null : st.progress.bytesTotal, st.message);
  }

  /** K3s's location of the local copy, {@code file:///...}. */
  @JsonIgnore
  String fileLocation() {
    return localPath == null ? null : "file://" + localPath;
  }

  /** Its stored copies: the file on its node, the S3 object. */
  @JsonIgnore
  List<Copy<SnapshotView>> copies() {
    return SnapshotCopies.of(this, name, node, localPath, s3Location, createdAt);
  }

  /** The {@code ls} rows: one per stored copy, as K3s lists them, or one saying where it is. */
  @JsonIgnore
  List<List<String>> rows() {
    String created = createdAt == null ? "-" : createdAt.toString();
    List<Copy<SnapshotView>> copies = copies();
    if (copies.isEmpty()) {
      return List.of(List.of(name == null ? "-" : name, "-", "-", created, phaseWithProgress(),
          resource));
    }
    String bytes = Long.toString(size == null ? 0 : size);
    return copies.stream().map(c -> List.of(c.name(), c.location(), bytes, created,
        phaseWithProgress(), resource)).toList();
  }

  /** {@code Running 40%} while the agent reports progress. */
  @JsonIgnore
  String phaseWithProgress() {
    if ("Running".equals(phase) && bytesDone != null && bytesTotal != null && bytesTotal > 0) {
      return phase + " " + (bytesDone * 100 / bytesTotal) + "%";
    }
    return phase;
  }

  /** {@code 1.2 MiB of 3.0 MiB (40%)}, or null without progress. */
  @JsonIgnore
  String progressLine() {
    if (bytesDone == null) {
      return null;
    }
    return TerminalProgress.bytes(bytesDone) + (bytesTotal == null || bytesTotal <= 0 ? ""
        : " of " + TerminalProgress.bytes(bytesTotal) + " (" + bytesDone * 100 / bytesTotal
            + "%)");
  }

  @JsonIgnore
  boolean terminal() {
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }
}
