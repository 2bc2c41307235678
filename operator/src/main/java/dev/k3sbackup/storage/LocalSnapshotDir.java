package dev.k3sbackup.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A node's snapshot directory, laid out as K3s lays it out: snapshot files directly inside, and
 * sidecars in {@code <dir>/../.metadata/<file>}. Files are written as {@code <file>.part}, fsynced
 * and then linked to their final name (never replacing an existing file), mode 0600.
 */
public final class LocalSnapshotDir {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PART = ".part";

  private final Path dir;

  public LocalSnapshotDir(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path dir() {
    return dir;
  }

  Path metadataDir() {
    return K3sLayout.metadataDirOf(dir);
  }

  /** Creates the dir if needed and proves a file can be created in it. */
  public void requireWritable() {
    if (K3sLayout.isSystemDir(dir)) {
      throw SnapshotException.badInput("--dir " + dir + " is / or a system dir: snapshots "
          + "would be written there as root; point --dir at a dir of their own (K3s's default "
          + "is ${data-dir}/server/db/snapshots)");
    }
    try {
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw SnapshotException.badInput("--dir " + dir + " is not a directory: point --dir at "
            + "a directory (K3s's default is ${data-dir}/server/db/snapshots)");
      }
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".write-probe-", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      throw SnapshotException.badInput("--dir " + dir + " is not writable (" + describe(e)
          + "): choose a writable directory with --dir, or run as a user that can write there");
    }
  }

  /** The smallest margin a save wants free beyond etcd's db size. */
  public static final long MIN_MARGIN = 64L << 20;

  /**
   * The free space a save of a db of {@code dbSize} bytes wants in the dir: the db size plus a
   * margin of a tenth of it, at least {@value #MIN_MARGIN} bytes (64 MiB), so that a save never
   * fills the disk etcd itself lives on.
   */
  public static long spaceNeeded(long dbSize) {
    return dbSize + Math.max(dbSize / 10, MIN_MARGIN);
  }

  /**
   * Refuses, before a byte is written, when the dir's file system has less free space than a
   * save of a db of {@code dbSize} bytes wants ({@link #spaceNeeded}).
   */
  public void requireFreeSpace(long dbSize) {
    long free;
    try {
      free = Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      return; // unknown: the write itself will tell
    }
    long needed = spaceNeeded(dbSize);
    if (free < needed) {
      throw SnapshotException.badInput("--dir " + dir + " has " + mib(free) + " MiB free, but "
          + "this save needs " + mib(needed) + " MiB (etcd's db is " + mib(dbSize) + " MiB, plus "
          + "a margin of a tenth, at least " + mib(MIN_MARGIN) + " MiB): free space there or "
          + "point --dir at a larger disk; nothing was written");
    }
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1048576.0);
  }

  /** Refuses a name that is taken: an existing snapshot is never overwritten. */
  public void requireAbsent(String fileName) {
    Path target = dir.resolve(fileName);
    if (Files.exists(target)) {
      throw SnapshotException.badInput("snapshot " + target + " already exists: nothing was "
          + "overwritten; wait a second and save again, or use another --name");
    }
  }

  /** Starts writing {@code fileName}; refuses if that snapshot (or a save of it) already exists. */
  public PendingFile create(String fileName) {
    requireAbsent(fileName);
    Path target = dir.resolve(fileName);
    Path part = dir.resolve(fileName + PART);
    try {
      FileChannel channel = FileChannel.open(part,
          java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      return new PendingFile(part, target, channel);
    } catch (FileAlreadyExistsException e) {
      throw SnapshotException.badInput(part + " exists: another save of this snapshot is running, "
          + "or one was killed; if no save is running, delete that file and save again");
    } catch (IOException e) {
      throw SnapshotException.badInput("cannot create " + part + " (" + describe(e)
          + "): check --dir");
    }
  }

  /** The snapshot file called {@code fileName}, if present. */
  public Optional<Path> find(String fileName) {
    SnapshotName.requireSafeComponent("snapshot name", fileName);
    Path p = dir.resolve(fileName);
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  /** Every snapshot in the dir that follows K3s's naming, with what its sidecar says. */
  public List<StoredSnapshot> list() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<StoredSnapshot> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (!Files.isRegularFile(p)) {
          continue;
        }
        stored(p).ifPresent(found::add);
      }
    } catch (IOException | UncheckedIOException e) {
      IOException cause = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
      throw SnapshotException.failed("cannot list --dir " + dir + " (" + describe(cause) + ")",
          cause);
    }
    return found;
  }

  /** The snapshot called {@code fileName}, as {@link #list()} shows it, if present. */
  public Optional<StoredSnapshot> lookup(String fileName) {
    try {
      return find(fileName).flatMap(this::stored);
    } catch (UncheckedIOException e) {
      throw SnapshotException.failed("cannot read " + dir.resolve(fileName) + " ("
          + describe(e.getCause()) + ")", e);
    }
  }

  /** A file in K3s's naming as a stored snapshot, with its sidecar; empty for other files. */
  private Optional<StoredSnapshot> stored(Path p) {
    String name = p.getFileName().toString();
    Optional<SnapshotName.Parsed> parsed = SnapshotName.parse(name);
    if (parsed.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> meta = readSidecar(name);
    try {
      return Optional.of(new StoredSnapshot(name, StoredSnapshot.Storage.LOCAL, "file://" + p,
          Files.size(p), parsed.get().createdAt(), meta.get(SnapshotMetadataKeys.NODE),
          parsed.get().compressed(), meta));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes the snapshot file and its sidecar; false when the file was not there. */
  public boolean delete(String fileName) {
    SnapshotName.requireSafeComponent("snapshot name", fileName);
    try {
      boolean deleted = Files.deleteIfExists(dir.resolve(fileName));
      Files.deleteIfExists(metadataDir().resolve(fileName));
      return deleted;
    } catch (IOException e) {
      throw SnapshotException.failed("cannot delete " + dir.resolve(fileName) + " ("
          + describe(e) + ")", e);
    }
  }

  /** Writes the sidecar next to the dir, as K3s does; false (and no exception) if that fails. */
  public boolean writeSidecar(String fileName, byte[] json) {
    Path metaDir = metadataDir();
    try {
      Files.createDirectories(metaDir);
      Path tmp = metaDir.resolve(fileName + PART);
      Files.write(tmp, json);
      Files.move(tmp, metaDir.resolve(fileName),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The sidecar's string values, or an empty map when there is none or it is not ours. */
  public Map<String, String> readSidecar(String fileName) {
    Path p = metadataDir().resolve(fileName);
    if (!Files.isRegularFile(p)) {
      return Map.of();
    }
    try {
      return JSON.readValue(p.toFile(), new TypeReference<Map<String, String>>() {});
    } catch (IOException | RuntimeException e) {
      return Map.of(); // K3s's own sidecars hold arbitrary extra metadata
    }
  }

  static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory: " + e.getMessage();
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /**
   * Writes through a 1 MiB direct buffer of its own: one system call per MiB instead of one per
   * etcd chunk (32 KiB), and no copy into the JDK's temporary direct buffer on each write.
   */
  private static final class ChannelWriter extends OutputStream {
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1024 * 1024);

    ChannelWriter(FileChannel channel) {
      this.channel = channel;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, buffer.remaining());
        buffer.put(b, off, n);
        off += n;
        len -= n;
        if (!buffer.hasRemaining()) {
          flush();
        }
      }
    }

    @Override
    public void flush() throws IOException {
      buffer.flip();
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      buffer.clear();
    }
  }

  /** A snapshot file being written. Either {@link #commit()} or {@link #discard()} it. */
  public static final class PendingFile implements AutoCloseable {
    private final Path part;
    private final Path target;
    private final FileChannel channel;
    private final OutputStream out;
    private java.util.concurrent.FutureTask<Void> sync;
    private boolean done;

    PendingFile(Path part, Path target, FileChannel channel) {
      this.part = part;
      this.target = target;
      this.channel = channel;
      this.out = new ChannelWriter(channel);
    }

    public OutputStream out() {
      return out;
    }

    public Path target() {
      return target;
    }

    /**
     * The file being written (its name until {@link #commit()}), for readers of what was written
     * so far (after {@link OutputStream#flush()} of {@link #out()}): the S3 upload sends its parts
     * from here.
     */
    public Path source() {
      return part;
    }

    /**
     * Writes out what is buffered and starts the fsync on a thread of its own, so that the disk
     * works while the caller waits for something else (the S3 server completing the upload);
     * {@link #commit()} waits for it.
     */
    public void startSync() throws IOException {
      out.flush();
      if (sync == null) {
        sync = new java.util.concurrent.FutureTask<>(() -> {
          channel.force(true);
          return null;
        });
        Thread t = new Thread(sync, "fsync");
        t.setDaemon(true);
        t.start();
      }
    }

    /**
     * fsync (or wait for the one {@link #startSync()} started), then give the file its final name
     * without ever replacing another file.
     */
    public Path commit() throws IOException {
      out.flush();
      if (sync == null) {
        channel.force(true);
      } else {
        awaitSync();
      }
      channel.close();
      try {
        Files.createLink(target, part);
      } catch (FileAlreadyExistsException e) {
        throw new IOException(target + " appeared while saving; the new snapshot was discarded");
      }
      Files.delete(part);
      fsyncDir(target.getParent());
      done = true;
      return target;
    }

    private void awaitSync() throws IOException {
      try {
        sync.get();
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof IOException io ? io
            : new IOException("fsync failed: " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting for fsync");
      }
    }

    /** Removes the partial file. */
    public void discard() {
      if (done) {
        return;
      }
      done = true;
      if (sync != null) {
        try {
          awaitSync(); // the channel is not closed under a running fsync
        } catch (IOException ignored) {
          // the file goes anyway
        }
      }
      try {
        channel.close();
      } catch (IOException ignored) {
        // the file goes anyway
      }
      try {
        Files.deleteIfExists(part);
      } catch (IOException ignored) {
        // reported by the caller's own failure
      }
    }

    @Override
    public void close() {
      discard();
    }

    private static void fsyncDir(Path dir) {
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      } catch (IOException ignored) {
        // not every filesystem lets a directory be fsynced; the file itself is synced
      }
    }
  }
}
