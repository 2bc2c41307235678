package dev.k3sbackup.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSnapshotDirTest {

  @TempDir
  Path tmp;

  /**
   * Where the file system takes {@code O_DIRECT} (ext4 here), the file is written past the page
   * cache; odd-sized writes and flushes anywhere (the S3 upload flushes before reading a part back)
   * leave exactly the bytes written so far, readable both through the page cache and with
   * {@code O_DIRECT} as the upload reads them.
   */
  @Test
  void aFileWrittenPastThePageCacheHoldsExactlyWhatWasWrittenAtEveryFlush() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("snapshots"));
    LocalSnapshotDir local = new LocalSnapshotDir(dir);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    Random random = new Random(7);
    try (LocalSnapshotDir.PendingFile file = local.create("on-demand-n1-1700000000")) {
      assertThat(file.directBlock()).as("ext4 takes O_DIRECT; block size of " + dir)
          .isEqualTo(DirectIo.blockSize(dir));
      assertThat(file.directBlock()).isPositive();
      OutputStream out = file.out();
      int flushes = 0;
      while (expected.size() < 5 * 1024 * 1024 + 777) {
        byte[] chunk = new byte[1 + random.nextInt(300_000)];
        random.nextBytes(chunk);
        out.write(chunk);
        expected.write(chunk);
        if (random.nextInt(4) == 0) {
          out.flush();
          flushes++;
          byte[] want = expected.toByteArray();
          assertThat(Files.size(file.source())).isEqualTo(want.length);
          assertThat(Arrays.equals(Files.readAllBytes(file.source()), want)).isTrue();
          assertThat(Arrays.equals(readDirect(file.source(), file.directBlock(), want.length),
              want)).isTrue();
        }
      }
      assertThat(flushes).isGreaterThan(3);
      Path saved = file.commit();
      assertThat(Arrays.equals(Files.readAllBytes(saved), expected.toByteArray())).isTrue();
      assertThat(Files.getPosixFilePermissions(saved))
          .containsExactlyInAnyOrderElementsOf(java.nio.file.attribute.PosixFilePermissions
              .fromString("rw-------"));
    }
  }

  /**
   * Where the file system refuses {@code O_DIRECT} (tmpfs before Linux 6.6, some network file
   * systems) the file is written through the page cache: the same bytes.
   */
  @Test
  void whereDirectWritesAreRefusedTheFileIsWrittenThroughThePageCache() throws Exception {
    byte[] bytes = new byte[3 * 1024 * 1024 + 5];
    new Random(3).nextBytes(bytes);
    LocalSnapshotDir.PendingFile file = new LocalSnapshotDir(tmp).create("s1", false);
    assertThat(file.directBlock()).isZero();
    file.out().write(bytes, 0, 100);
    file.out().flush();
    assertThat(Files.size(file.source())).isEqualTo(100);
    file.out().write(bytes, 100, bytes.length - 100);
    Path saved = file.commit();
    assertThat(Arrays.equals(Files.readAllBytes(saved), bytes)).isTrue();
  }

  /** Reads the way {@link PartSender} reads a part: whole aligned blocks, cut short at the end. */
  private static byte[] readDirect(Path file, int block, int length) throws Exception {
    try (FileChannel c = DirectIo.open(file, block, StandardOpenOption.READ)) {
      assertThat(c).isNotNull();
      ByteBuffer b = DirectIo.aligned((int) DirectIo.roundUp(length, block), block);
      int n;
      do {
        n = c.read(b, b.position());
      } while (b.hasRemaining() && n > 0 && n % block == 0);
      byte[] out = new byte[b.position()];
      b.flip().get(out);
      return out;
    }
  }
}
