package dev.k3sbackup.storage;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Snapshot files read and written with {@code O_DIRECT}, past the page cache.
 *
 * <p>Why: a snapshot is as big as etcd's database and is written once and read once (by the S3
 * upload). Through the page cache it takes as much memory again on the node that runs etcd,
 * pushing out etcd's own pages; and on a machine whose free memory is handed back to its
 * hypervisor (this project's test machines: virtio balloon, free page reporting), each page the
 * cache takes costs a fault on the host: a buffered 1 GiB write cost 1.2 to 1.8 CPU-seconds of
 * kernel time there, an {@code O_DIRECT} one 0.13 ({@code dd}, 2026-11-30). Buffers and offsets
 * must then be multiples of the file system's block size; where the file system refuses
 * {@code O_DIRECT} (tmpfs before Linux 6.6, some network file systems), files are written
 * through the page cache as before.
 */
final class DirectIo {

  private DirectIo() {}

  /**
   * A channel on {@code file} opened with {@code O_DIRECT}, or null where that is refused.
   *
   * @param block the file's {@link #blockSize(Path)}; null is returned for 0
   */
  static FileChannel open(Path file, int block, OpenOption... options) {
    if (block == 0) {
      return null;
    }
    OpenOption[] direct = Arrays.copyOf(options, options.length + 1);
    direct[options.length] = ExtendedOpenOption.DIRECT;
    try {
      return FileChannel.open(file, direct);
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  /**
   * The alignment {@code O_DIRECT} needs for {@code file}: its file system's block size, or 0
   * when that cannot be read or is not a power of two up to 64 KiB.
   */
  static int blockSize(Path file) {
    try {
      long b = Files.getFileStore(file).getBlockSize();
      return b >= 512 && b <= (1 << 16) && Long.bitCount(b) == 1 ? (int) b : 0;
    } catch (IOException | UnsupportedOperationException e) {
      return 0;
    }
  }

  /** A direct buffer of {@code size} bytes (a multiple of {@code block}) aligned to it. */
  static ByteBuffer aligned(int size, int block) {
    return ByteBuffer.allocateDirect(size + block).alignedSlice(block).limit(size).slice();
  }

  static long roundUp(long n, int block) {
    return (n + block - 1) / block * block;
  }
}
