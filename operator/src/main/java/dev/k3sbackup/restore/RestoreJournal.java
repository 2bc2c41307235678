package dev.k3sbackup.restore;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A restore's journal on its node: which steps began and which finished, written to disk (and
 * fsynced) before and after each step. It outlives the API server and the etcd rollback, so a
 * rerun of the agent resumes instead of repeating a step, and the operator reads the outcome
 * back once the cluster has returned.
 */
public final class RestoreJournal {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One line of the journal.
   *
   * @param step the step's name
   * @param state began, done or failed
   * @param time when (RFC 3339)
   * @param message what happened
   */
  public record Entry(String step, String state, String time, String message) {}

  private final Path file;
  private final Clock clock;
  private final List<Entry> entries;

  private RestoreJournal(Path file, Clock clock, List<Entry> entries) {
    this.file = file;
    this.clock = clock;
    this.entries = entries;
  }

  /** Opens (or starts) the journal at {@code file}. */
  public static RestoreJournal open(Path file, Clock clock) {
    try {
      List<Entry> entries = Files.exists(file)
          ? new ArrayList<>(JSON.readValue(file.toFile(), new TypeReference<List<Entry>>() {}))
          : new ArrayList<>();
      return new RestoreJournal(file, clock, entries);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the restore journal " + file, e);
    }
  }

  public boolean done(String step) {
    return entries.stream().anyMatch(e -> e.step().equals(step) && "done".equals(e.state()));
  }

  public void began(String step, String message) {
    append(step, "began", message);
  }

  public void finished(String step, String message) {
    append(step, "done", message);
  }

  public void failed(String step, String message) {
    append(step, "failed", message);
  }

  public List<Entry> entries() {
    return List.copyOf(entries);
  }

  public Optional<Entry> last() {
    return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
  }

  private void append(String step, String state, String message) {
    entries.add(new Entry(step, state, clock.instant().toString(), message));
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(entries));
      try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        c.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the restore journal " + file, e);
    }
  }
}
