package dev.k3sbackup.snapshot;

import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.base.TrailerCheck;
import dev.k3sbackup.api.v1alpha1.S3Location;
import dev.k3sbackup.contract.SnapshotRecord;
import dev.k3sbackup.encryption.AgeRecipients;
import dev.k3sbackup.etcd.EtcdMember;
import dev.k3sbackup.etcd.MemberStatus;
import dev.k3sbackup.storage.LocalSnapshotDir;
import dev.k3sbackup.storage.S3SnapshotStore;
import dev.k3sbackup.storage.SnapshotMetadataKeys;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one snapshot the way K3s does, and checks it better: etcd's stream goes, in one pass and
 * never held in memory, through etcd's sha256 trailer check (then K3s's zip, then age's
 * encryption, when asked) into {@code <dir>/<name>.part} and, at the same time, into an S3
 * multipart upload; the sha256 and size recorded are those of the bytes stored. Only a verified
 * stream is renamed into place and completed in S3; on any failure the part file and the upload
 * are removed.
 */
public final class SnapshotSaver {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotSaver.class);

  private final Clock clock;
  private final Function<SaveRequest, EtcdMember> etcdConnector;
  private final ProgressListener progress;

  public SnapshotSaver(Clock clock, Function<SaveRequest, EtcdMember> etcdConnector,
      ProgressListener progress) {
    this.clock = clock;
    this.etcdConnector = etcdConnector;
    this.progress = progress;
  }

  /** How many seconds later a save with {@code nextFreeSecond} looks for a free name. */
  static final int MAX_SECONDS_LATER = 60;

  /**
   * Saves a snapshot. Everything that can be checked is checked before the first byte is written,
   * except S3's bucket and the name there, which are checked while etcd's first bytes arrive: a
   * name taken in S3 stops the save then, and the partial file goes.
   *
   * @return the record; {@link SnapshotRecord#s3Error()} is set when only the upload failed
   */
  public SnapshotRecord save(SaveRequest request) {
    java.time.Instant at = clock.instant();
    SnapshotName name = SnapshotName.of(request.prefix(), request.nodeName(), at,
        request.compress(), request.encryptTo() != null);
    // Reaching etcd (TLS, gRPC start-up, first request) overlaps the local and S3 checks.
    CompletableFuture<Connected> etcd = CompletableFuture.supplyAsync(() -> connect(request),
        onThreadOfItsOwn("etcd-connect"));
    S3SnapshotStore s3 = null;
    LOG.debug("saving {} into {}{}, from etcd at {}", name.fileName(), request.dir(),
        request.s3() == null ? "" : " and " + request.s3().locationOf(name.fileName()),
        request.etcd());
    LocalSnapshotDir.PendingFile reserved = null;
    try {
      LocalSnapshotDir local = new LocalSnapshotDir(request.dir());
      local.requireWritable();
      // the name is reserved at once (its .part made, never replacing anything): two saves that
      // start in the same second on one node cannot both take it
      for (int later = 1; reserved == null; later++) {
        try {
          reserved = local.create(name.fileName());
        } catch (SnapshotException taken) {
          if (!request.nextFreeSecond() || later > MAX_SECONDS_LATER) {
            throw taken;
          }
          name = SnapshotName.of(request.prefix(), request.nodeName(), at.plusSeconds(later),
              request.compress(), request.encryptTo() != null);
        }
      }
      CompletableFuture<String> s3Checks = null;
      if (request.s3() != null) {
        s3 = S3SnapshotStore.connect(request.s3()); // bad settings (a CA that is no PEM) refuse
        s3Checks = checkS3(s3, request, name.fileName());
      }
      Connected connected = await(etcd);
      LOG.debug("etcd member {} of cluster {}: version {}, database {} bytes",
          connected.status().memberId(), connected.status().clusterId(),
          connected.status().version(), connected.status().dbSize());
      local.requireFreeSpace(connected.status().dbSize());
      try (EtcdMember member = connected.member()) {
        LOG.info("saving snapshot {} from etcd member {} at revision {}", name.fileName(),
            connected.status().memberId(), connected.status().revision());
        LocalSnapshotDir.PendingFile file = reserved;
        reserved = null; // stream() owns it now
        return stream(request, name, local, file, s3, s3Checks, member, connected.status());
      }
    } catch (RuntimeException e) {
      etcd.thenAccept(c -> c.member().close()); // closes a connection nobody will use
      throw e;
    } finally {
      if (reserved != null) {
        reserved.discard();
      }
      if (s3 != null) {
        s3.close();
      }
    }
  }

  private record Connected(EtcdMember member, MemberStatus status) {}

  /**
   * Checks the bucket and that the name is free in S3, on a thread of its own: etcd's stream
   * starts without waiting for these requests (0.3 to 0.4 s on a first run against s3rver here,
   * longer than reaching etcd). Completes with null when the upload may go ahead, or with why it is
   * not attempted: S3 down or refusing (no answer, no bucket, keys refused) leaves the local
   * snapshot to be taken and verified alone, as K3s does. A name already taken in S3 completes it
   * exceptionally: that stops the save, and nothing is overwritten.
   */
  private static CompletableFuture<String> checkS3(S3SnapshotStore s3, SaveRequest request,
      String fileName) {
    return CompletableFuture.supplyAsync(() -> {
      boolean taken;
      try {
        s3.requireBucket();
        taken = s3.exists(fileName);
      } catch (RuntimeException e) {
        return "the S3 upload was not attempted: " + e.getMessage();
      }
      if (taken) {
        throw SnapshotException.badInput(request.s3().locationOf(fileName)
            + " already exists: nothing was overwritten; wait a second or use another --name");
      }
      return null;
    }, onThreadOfItsOwn("s3-check"));
  }

  /** Runs a task on a new daemon thread called {@code name}: one task, started at once. */
  private static java.util.concurrent.Executor onThreadOfItsOwn(String name) {
    return task -> {
      Thread t = new Thread(task, name);
      t.setDaemon(true);
      t.start();
    };
  }

  private Connected connect(SaveRequest request) {
    EtcdMember member = etcdConnector.apply(request);
    try {
      return new Connected(member, member.status());
    } catch (RuntimeException e) {
      member.close();
      throw e;
    }
  }

  private static Connected await(CompletableFuture<Connected> etcd) {
    try {
      return etcd.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  private SnapshotRecord stream(SaveRequest request, SnapshotName name, LocalSnapshotDir local,
      LocalSnapshotDir.PendingFile reserved, S3SnapshotStore s3,
      CompletableFuture<String> s3Checks, EtcdMember etcd, MemberStatus member) {
    Map<String, String> userMetadata = userMetadata(request);
    try (LocalSnapshotDir.PendingFile file = reserved) {
      GuardedUpload upload = null;
      if (s3 != null) {
        // the upload is created once the checks pass; the stream does not wait for them
        CompletableFuture<Void> checked = s3Checks.thenAccept(notAttempted -> {
          if (notAttempted != null) {
            throw new CancellationException(notAttempted);
          }
        });
        upload = new GuardedUpload(s3.startUpload(name.fileName(), userMetadata, file, checked),
            s3Checks, name.fileName());
      }
      boolean uploaded = false;
      try {
        Stored stored = writeVerified(name, etcd, file.out(), upload, request.encryptTo());
        SnapshotRecord record = new SnapshotRecord(name.fileName(), request.nodeName(),
            file.target().toString(), null, stored.size, stored.sha256, stored.rawSize,
            member.revision(), member.memberId(), member.clusterId(), member.version(),
            name.createdAt(), name.compressed(), request.tokenHash(), null);
        String notAttempted = upload == null ? null : upload.awaitChecks();
        if (notAttempted != null) {
          record = record.withS3(null, notAttempted);
        } else if (upload != null) {
          // the file's fsync (0.7 s for 1 GiB here) runs while the S3 server completes the
          // object (4 s for s3rver), instead of before the completion is asked for
          file.startSync();
          record = finishUpload(s3, upload, record, userMetadata);
          uploaded = record.s3() != null;
        }
        file.commit();
        if (!local.writeSidecar(name.fileName(), record.sidecarJson())) {
          LOG.warn("could not write the .metadata sidecar next to {}", local.dir());
        }
        LOG.info("saved snapshot {} ({} bytes, sha256 {})", record.localPath(), record.size(),
            record.sha256());
        return record;
      } catch (IOException | RuntimeException e) {
        String upToNow = "";
        if (uploaded) {
          upToNow = deleteUploaded(s3, name.fileName());
        } else if (upload != null) {
          upload.abort();
          upToNow = " and the upload aborted";
        }
        throw e instanceof SnapshotException se ? se : SnapshotException.failed(
            "snapshot " + name.fileName() + " was not saved: " + e.getMessage()
                + "; the partial file was removed" + upToNow, e);
      }
    }
  }

  private record Stored(long size, String sha256, long rawSize) {}

  /**
   * Streams etcd into {@code fileOut} (and the upload), verifying etcd's trailer on the way:
   * etcd, trailer check, zip (when compressed), age (when {@code encryptTo} is set), then the
   * sha256 and count of what is stored.
   */
  private Stored writeVerified(SnapshotName name, EtcdMember etcd, OutputStream fileOut,
      GuardedUpload upload, AgeRecipients encryptTo) throws IOException {
    OutputStream stored = upload == null ? fileOut : new Tee(fileOut, upload);
    TrailerCheck check = new TrailerCheck();
    boolean transformed = name.compressed() || encryptTo != null;
    MessageDigest storedDigest = transformed ? TrailerCheck.sha256() : null;
    CountingStream storedBytes = null;
    OutputStream payload = stored;
    OutputStream age = null;
    ZipOutputStream zip = null;
    if (transformed) {
      storedBytes = new CountingStream(new DigestOutputStream(stored, storedDigest));
      payload = storedBytes;
    }
    if (encryptTo != null) {
      age = encryptTo.encrypting(payload);
      payload = age;
    }
    if (name.compressed()) {
      zip = new ZipOutputStream(payload);
      ZipEntry entry = new ZipEntry(name.baseName());
      entry.setMethod(ZipEntry.DEFLATED);
      entry.setTime(name.createdAt().toEpochMilli());
      zip.putNextEntry(entry);
      payload = zip;
    }
    VerifyingStream in = new VerifyingStream(check, payload, progress);
    etcd.snapshot(in, expected -> progress.start("saving " + name.fileName(), expected));
    progress.done();
    TrailerCheck.Result result = check.finish();
    if (!result.ok()) {
      throw SnapshotException.failed("the stream from etcd " + result.problem()
          + "; nothing was kept", null);
    }
    if (zip != null) {
      zip.closeEntry();
      zip.finish();
    }
    if (age != null) {
      age.close(); // age's last chunk; the file and the upload stay open
    }
    if (transformed) {
      return new Stored(storedBytes.count, HexFormat.of().formatHex(storedDigest.digest()),
          result.size());
    }
    return new Stored(result.size(), result.sha256(), result.size());
  }

  /**
   * Deletes an object whose local file then failed (no copy is kept of a save that failed).
   *
   * @return what was done, to end the failure's message
   */
  private static String deleteUploaded(S3SnapshotStore s3, String fileName) {
    try {
      s3.delete(fileName);
      return " and the uploaded object deleted";
    } catch (RuntimeException e) {
      LOG.warn("could not delete the uploaded {} of a failed save: {}", fileName, e.getMessage());
      return "; the uploaded object " + s3.config().locationOf(fileName) + " could not be "
          + "deleted (" + e.getMessage() + "): delete it by hand";
    }
  }

  private SnapshotRecord finishUpload(S3SnapshotStore s3, GuardedUpload upload,
      SnapshotRecord record, Map<String, String> userMetadata) {
    var config = s3.config();
    var location = S3Location.of(config.bucket(), upload.upload.key(),
        config.locationOf(record.name()), S3SnapshotStore.endpointUrl(config));
    try {
      upload.complete();
      s3.putSidecar(record.name(), record.sidecarJson(), userMetadata);
      return record.withS3(location, null);
    } catch (IOException | RuntimeException e) {
      upload.abort();
      String why = e.getMessage();
      LOG.error("S3 upload of {} failed, the verified local file {} is kept: {}", record.name(),
          record.localPath(), why);
      return record.withS3(null, why);
    }
  }

  private static Map<String, String> userMetadata(SaveRequest request) {
    Map<String, String> m = new LinkedHashMap<>();
    if (request.clusterId() != null) {
      m.put(SnapshotMetadataKeys.K3S_CLUSTER_ID, request.clusterId());
    }
    m.put(SnapshotMetadataKeys.K3S_NODE_NAME, request.nodeName());
    if (request.tokenHash() != null) {
      m.put(SnapshotMetadataKeys.K3S_TOKEN_HASH, request.tokenHash());
    }
    return m;
  }

  /** Feeds the raw etcd stream to the trailer check and on to storage, reporting progress. */
  private static final class VerifyingStream extends OutputStream {
    private final TrailerCheck check;
    private final OutputStream next;
    private final ProgressListener progress;

    VerifyingStream(TrailerCheck check, OutputStream next, ProgressListener progress) {
      this.check = check;
      this.next = next;
      this.progress = progress;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      check.update(b, off, len);
      next.write(b, off, len);
      progress.advance(check.size());
    }
  }

  /** Counts what passes through. */
  private static final class CountingStream extends java.io.FilterOutputStream {
    long count;

    CountingStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }

  /** Writes to the local file (which must succeed) and to the upload (which may fail alone). */
  private static final class Tee extends OutputStream {
    private final OutputStream file;
    private final GuardedUpload upload;

    Tee(OutputStream file, GuardedUpload upload) {
      this.file = file;
      this.upload = upload;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      file.write(b, off, len);
      upload.write(b, off, len);
    }
  }

  /**
   * An upload whose failure does not stop the local save: the first error aborts it, is kept,
   * and reported when the save completes. Bytes come before S3's checks have answered
   * ({@link #checkS3}); once they have, S3 down or refusing ends the upload (the save goes on
   * locally) and a name taken in S3 stops the save.
   */
  private static final class GuardedUpload {
    final S3SnapshotStore.Upload upload;
    private final CompletableFuture<String> checks;
    private final String fileName;
    private boolean settled;
    private String notAttempted;
    private IOException failure;

    GuardedUpload(S3SnapshotStore.Upload upload, CompletableFuture<String> checks,
        String fileName) {
      this.upload = upload;
      this.checks = checks;
      this.fileName = fileName;
    }

    void write(byte[] b, int off, int len) {
      if (!goingAhead()) {
        return;
      }
      try {
        upload.write(b, off, len);
      } catch (IOException e) {
        if (!goingAhead()) {
          return; // the part failed because the checks did
        }
        failure = e;
        LOG.warn("S3 upload failed, finishing the local snapshot alone: {}", e.getMessage());
        upload.abort();
      }
    }

    /**
     * Waits for S3's checks.
     *
     * @return why the upload was not attempted, or null when it went ahead
     * @throws SnapshotException when the name is taken in S3
     */
    String awaitChecks() {
      if (!settled) {
        settle();
      }
      return notAttempted;
    }

    /**
     * Whether bytes still go to the upload: no failure yet, and S3's checks have not said no
     * (settled here once they have answered; a name taken in S3 throws).
     */
    private boolean goingAhead() {
      if (!settled && checks.isDone()) {
        settle();
      }
      return failure == null && notAttempted == null;
    }

    /** A name taken in S3 throws; the save's own failure path then aborts the upload. */
    private void settle() {
      settled = true;
      String down;
      try {
        down = checks.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException cause ? cause : e;
      }
      if (down != null) {
        notAttempted = down;
        LOG.warn("{}; saving {} locally only", down, fileName);
        upload.abort();
      }
    }

    void complete() throws IOException {
      if (failure != null) {
        throw failure;
      }
      upload.complete();
    }

    void abort() {
      upload.abort();
    }
  }

}
