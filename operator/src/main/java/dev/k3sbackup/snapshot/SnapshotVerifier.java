package dev.k3sbackup.snapshot;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.base.TrailerCheck;
import dev.k3sbackup.encryption.AgeIdentities;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Checks a stored snapshot without restoring it: etcd's sha256 trailer must match the content,
 * inside the zip when compressed, inside age's encryption when encrypted (decrypted on the way
 * with the identities given). Reads the bytes once, as a stream.
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
   * @param decryptedSha256 for an encrypted snapshot, the sha256 of the decrypted bytes (the
   *     zip when compressed); null otherwise
   */
  public record Verdict(String name, long size, String sha256, long snapshotSize, String problem,
      @JsonInclude(JsonInclude.Include.NON_NULL) String decryptedSha256) {

    public Verdict(String name, long size, String sha256, long snapshotSize, String problem) {
      this(name, size, sha256, snapshotSize, problem, null);
    }

    public boolean ok() {
      return problem == null;
    }
  }

  /** Verifies a stored snapshot read from {@code in}; a {@code .zip} name is read as K3s's zip. */
  public static Verdict verify(String name, InputStream in, ProgressListener progress)
      throws IOException {
    return verify(name, in, progress, null, null);
  }

  /**
   * Verifies a stored snapshot read from {@code in}: a {@code .zip} name is read as K3s's zip, a
   * {@code .age} name is decrypted first with {@code identities}.
   *
   * @param identities what decrypts an encrypted snapshot, or null (an encrypted one then fails
   *     with a message that says so)
   * @param decryptedCopy where the decrypted bytes go as well (the zip when compressed), or null
   */
  public static Verdict verify(String name, InputStream in, ProgressListener progress,
      AgeIdentities identities, OutputStream decryptedCopy) throws IOException {
    return verify(name, in, progress, identities, decryptedCopy, null);
  }

  /**
   * The same, also writing etcd's raw snapshot stream (decrypted, and the zip's entry when
   * compressed) to {@code raw} as it goes by, when not null (a drill's copy of an S3, zipped or
   * encrypted snapshot).
   */
  public static Verdict verify(String name, InputStream in, ProgressListener progress,
      AgeIdentities identities, OutputStream decryptedCopy, OutputStream raw) throws IOException {
    MessageDigest stored = TrailerCheck.sha256();
    CountingInput counted = new CountingInput(in, progress);
    DigestInputStream digesting = new DigestInputStream(counted, stored);
    TrailerCheck check = new TrailerCheck();
    String problem = null;
    byte[] buffer = new byte[BUFFER];
    InputStream payload = digesting;
    MessageDigest decrypted = null;
    String plainName = name;
    if (SnapshotName.isEncrypted(name)) {
      plainName = name.substring(0, name.length() - SnapshotName.AGE_SUFFIX.length());
      if (identities == null) {
        problem = "is encrypted with age: give the identity that decrypts it "
            + "(--decrypt-identity-file; an EtcdRestore's spec.decryption.identitySecret)";
      } else {
        try {
          decrypted = TrailerCheck.sha256();
          payload = new DigestInputStream(identities.decrypting(digesting), decrypted);
          if (decryptedCopy != null) {
            payload = new CopyingInput(payload, decryptedCopy);
          }
        } catch (AgeIdentities.WrongIdentityException e) {
          problem = "cannot be decrypted: " + e.getMessage() + " (check that the identity "
              + "belongs to a recipient the snapshot was encrypted to)";
        } catch (IOException e) {
          problem = "is not a readable age file (" + e.getMessage() + ")";
        }
      }
    }
    if (problem != null) {
      drain(digesting, buffer);
      progress.done();
      return new Verdict(name, counted.count, HexFormat.of().formatHex(stored.digest()), 0,
          problem, null);
    }
    try {
      problem = check(plainName, payload, check, buffer, raw);
    } catch (IOException e) {
      if (decrypted == null) {
        throw e;
      }
      // age authenticates every 64 KiB chunk: altered bytes fail here
      problem = "fails age's authentication while decrypting (" + e.getMessage() + "): the "
          + "encrypted bytes were altered or cut short";
    }
    drain(digesting, buffer);
    progress.done();
    TrailerCheck.Result result = check.finish();
    if (problem == null && !result.ok()) {
      problem = result.problem();
    }
    return new Verdict(name, counted.count, HexFormat.of().formatHex(stored.digest()),
        result.size(), problem,
        decrypted == null ? null : HexFormat.of().formatHex(decrypted.digest()));
  }

  /** Reads the rest, which still counts towards the stored sha256. */
  private static void drain(InputStream in, byte[] buffer) throws IOException {
    while (in.read(buffer) >= 0) {
      // the rest of the zip (its directory) or of the age file
    }
  }

  /** Feeds the snapshot in {@code in} to {@code check}; a problem with the zip, or null. */
  private static String check(String name, InputStream in, TrailerCheck check, byte[] buffer,
      OutputStream raw) throws IOException {
    String problem = null;
    if (name.endsWith(SnapshotName.ZIP_SUFFIX)) {
      try {
        ZipInputStream zip = new ZipInputStream(in);
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
      copy(in, check, buffer, raw);
    }
    drain(in, buffer); // the zip's directory: part of the decrypted copy
    return problem;
  }

  private static void copy(InputStream in, TrailerCheck check, byte[] buffer, OutputStream raw)
      throws IOException {
    int n;
    while ((n = in.read(buffer)) >= 0) {
      check.update(buffer, 0, n);
      if (raw != null) {
        raw.write(buffer, 0, n);
      }
    }
  }

  /** Writes what is read to {@code copy} as well. */
  static final class CopyingInput extends java.io.FilterInputStream {
    private final OutputStream copy;

    CopyingInput(InputStream in, OutputStream copy) {
      super(in);
      this.copy = copy;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        copy.write(b);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        copy.write(b, off, n);
      }
      return n;
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
