package dev.k3sbackup.restore;

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

  /**
   * Which restore a journal belongs to, so that the operator can show its outcome on a
   * recreated resource when the etcd rollback removed the original.
   *
   * @param id the restore's uid
   * @param namespace the EtcdRestore's namespace
   * @param name the EtcdRestore's name
   * @param snapshot the EtcdSnapshot restored
   * @param node this node
   * @param role server or peer
   * @param peers the server's peers (nodes), whose rejoining completes the restore
   */
  public record Restore(String id, String namespace, String name, String snapshot, String node,
      String role, List<String> peers) {

    public static Restore unnamed(String id) {
      return new Restore(id, null, null, null, null, null, List.of());
    }
  }

  /** What the file holds: the restore it belongs to and its entries. */
  record Contents(Restore restore, List<Entry> entries) {}

  private final Path file;
  private final Clock clock;
  private final Restore restore;
  private final List<Entry> entries;

  private RestoreJournal(Path file, Clock clock, Restore restore, List<Entry> entries) {
    this.file = file;
    this.clock = clock;
    this.restore = restore;
    this.entries = entries;
  }

  /** Opens (or starts) the journal of {@code restore} at {@code file}. */
  public static RestoreJournal open(Path file, Clock clock, Restore restore) {
    List<Entry> entries = Files.exists(file) ? new ArrayList<>(read(file).entries())
        : new ArrayList<>();
    return new RestoreJournal(file, clock, restore, entries);
  }

  /** Opens (or starts) a journal that names no restore (tests, manual runs). */
  public static RestoreJournal open(Path file, Clock clock) {
    return open(file, clock, Restore.unnamed(file.getFileName().toString()));
  }

  /** Reads a journal file as it is. */
  public static Contents read(Path file) {
    try {
      return JSON.readValue(file.toFile(), Contents.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the restore journal " + file, e);
    }
  }

  public Restore restore() {
    return restore;
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

  /**
   * One step as the operator shows it.
   *
   * @param step its name
   * @param state Running, Done or Failed
   * @param started when it began
   * @param finished when it ended, or null
   * @param message what happened (cut to 300 characters)
   */
  public record StepReport(String step, String state, String started, String finished,
      String message) {}

  /**
   * A journal as the operator reads it back: which restore, and each step's state and times.
   *
   * @param restore the restore and this node's role
   * @param steps the steps begun so far, in order
   */
  public record Report(Restore restore, List<StepReport> steps) {}

  /** This journal as a {@link Report}: the latest state of each step begun. */
  public Report report() {
    return report(restore, entries);
  }

  static Report report(Restore restore, List<Entry> entries) {
    java.util.Map<String, StepReport> steps = new java.util.LinkedHashMap<>();
    for (Entry e : entries) {
      StepReport before = steps.get(e.step());
      String message = e.message() == null || e.message().length() <= 300 ? e.message()
          : e.message().substring(0, 300);
      switch (e.state()) {
        case "began" -> steps.put(e.step(), new StepReport(e.step(), "Running", e.time(), null,
            null));
        case "done" -> steps.put(e.step(), new StepReport(e.step(), "Done",
            before == null ? e.time() : before.started(), e.time(), message));
        default -> steps.put(e.step(), new StepReport(e.step(), "Failed",
            before == null ? e.time() : before.started(), e.time(), message));
      }
    }
    return new Report(restore, List.copyOf(steps.values()));
  }

  public Optional<Entry> last() {
    return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
  }

  private void append(String step, String state, String message) {
    entries.add(new Entry(step, state, clock.instant().toString(), message));
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(
          new Contents(restore, entries)));
      try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        c.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the restore journal " + file, e);
    }
  }
}
