package dev.k3sbackup.snapshot;

import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.base.TrailerCheck;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Checks a stored snapshot without restoring it: etcd's sha256 trailer must match the content,
 * inside the zip when compressed. Reads the bytes once, as a stream.
 */
public final class SnapshotVerifier {

  private static final int BUFFER = 256 * 1024;

  private SnapshotVerifier() {}

  /**
   * @param name the snapshot's name, for messages
   * @param size bytes stored
   * @param sha256 sha256 of the stored bytes (the zip when compressed)
   * @param snapshotSize bytes of etcd's raw stream
   * @param problem null when it verifies, else what is wrong
   */
  public record Verdict(String name, long size, String sha256, long snapshotSize, String problem) {
    public boolean ok() {
      return problem == null;
    }
  }

  /** Verifies a stored snapshot read from {@code in}; a {@code .zip} name is read as K3s's zip. */
  public static Verdict verify(String name, InputStream in, ProgressListener progress)
      throws IOException {
    return verify(name, in, progress, null);
  }

  /**
   * The same, also writing etcd's raw snapshot stream (the zip's entry when compressed) to
   * {@code raw} as it goes by, when not null (a drill's copy of an S3 or zipped snapshot).
   */
  public static Verdict verify(String name, InputStream in, ProgressListener progress,
      java.io.OutputStream raw) throws IOException {
    MessageDigest stored = TrailerCheck.sha256();
    CountingInput counted = new CountingInput(in, progress);
    DigestInputStream digesting = new DigestInputStream(counted, stored);
    TrailerCheck check = new TrailerCheck();
    String problem = null;
    byte[] buffer = new byte[BUFFER];
    if (name.endsWith(SnapshotName.ZIP_SUFFIX)) {
      try {
        ZipInputStream zip = new ZipInputStream(digesting);
        ZipEntry entry = zip.getNextEntry();
        if (entry == null) {
          problem = "is not a K3s compressed snapshot: the zip holds no entry";
        } else {
          copy(zip, check, buffer, raw);
          if (zip.getNextEntry() != null) {
            problem = "is not a K3s compressed snapshot: the zip holds more than one entry";
          }
        }
      } catch (ZipException e) {
        problem = "is not a readable zip (" + e.getMessage() + ")";
      }
    } else {
      copy(digesting, check, buffer, raw);
    }
    while (digesting.read(buffer) >= 0) {
      // the rest of the zip (its directory) still counts towards the file's sha256
    }
    progress.done();
    TrailerCheck.Result result = check.finish();
    if (problem == null && !result.ok()) {
      problem = result.problem();
    }
    return new Verdict(name, counted.count, HexFormat.of().formatHex(stored.digest()),
        result.size(), problem);
  }

  private static void copy(InputStream in, TrailerCheck check, byte[] buffer,
      java.io.OutputStream raw) throws IOException {
    int n;
    while ((n = in.read(buffer)) >= 0) {
      check.update(buffer, 0, n);
      if (raw != null) {
        raw.write(buffer, 0, n);
      }
    }
  }

  private static final class CountingInput extends java.io.FilterInputStream {
    private final ProgressListener progress;
    long count;

    CountingInput(InputStream in, ProgressListener progress) {
      super(in);
      this.progress = progress;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
        progress.advance(count);
      }
      return n;
    }
  }
}
