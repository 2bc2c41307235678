package dev.k3sbackup.restore;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.api.v1alpha1.StepState;
import dev.k3sbackup.contract.RestoreId;
import dev.k3sbackup.contract.RestoreReport;
import dev.k3sbackup.contract.RestoreStep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A restore's journal on its node: which steps began and which finished, written to disk (and
 * fsynced) before and after each step. It outlives the API server and the etcd rollback, so a
 * rerun of the agent resumes instead of repeating a step, and the operator reads the outcome
 * back once the cluster has returned.
 */
public final class RestoreJournal {

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  /** A report's messages are cut to this many characters (they share 4 KiB with the rest). */
  static final int MAX_STEP_MESSAGE = 300;

  /**
   * One line of the journal.
   *
   * @param step the step
   * @param state Running when it began, then Done or Failed
   * @param time when (RFC 3339)
   * @param message what happened
   * @param path where the step left something, for the steps after it and for a rerun (the
   *     data a reset moved aside, the dir a peer moved its db to), or null
   */
  @com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record Entry(RestoreStep step, StepState state, String time, String message,
      String path) {
    public Entry(RestoreStep step, StepState state, String time, String message) {
      this(step, state, time, message, null);
    }
  }

  /** What the file holds: the restore it belongs to and its entries. */
  record Contents(RestoreReport.Restore restore, List<Entry> entries) {}

  private final Path file;
  private final Clock clock;
  private final RestoreReport.Restore restore;
  private final List<Entry> entries;

  private RestoreJournal(Path file, Clock clock, RestoreReport.Restore restore,
      List<Entry> entries) {
    this.file = file;
    this.clock = clock;
    this.restore = restore;
    this.entries = entries;
  }

  /** Opens (or starts) the journal of {@code restore} at {@code file}. */
  public static RestoreJournal open(Path file, Clock clock, RestoreReport.Restore restore) {
    List<Entry> entries = Files.exists(file) ? new ArrayList<>(read(file).entries())
        : new ArrayList<>();
    return new RestoreJournal(file, clock, restore, entries);
  }

  /** Opens (or starts) a journal that names no restore (tests, manual runs). */
  public static RestoreJournal open(Path file, Clock clock) {
    String name = file.getFileName().toString();
    return open(file, clock, RestoreReport.Restore.unnamed(RestoreId.of(
        name.endsWith(".json") ? name.substring(0, name.length() - 5) : name)));
  }

  /** Reads a journal file as it is. */
  static Contents read(Path file) {
    try {
      return JSON.readValue(file.toFile(), Contents.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the restore journal " + file, e);
    }
  }

  /** The reports of every journal in {@code dir} (none when there is no such dir). */
  public static List<RestoreReport> reportsIn(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".json"))
          .sorted().map(RestoreJournal::reportOf).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the restore journals in " + dir, e);
    }
  }

  /** The report of the journal file {@code file}. */
  static RestoreReport reportOf(Path file) {
    Contents c = read(file);
    return report(c.restore(), c.entries());
  }

  public RestoreReport.Restore restore() {
    return restore;
  }

  public boolean done(RestoreStep step) {
    return entries.stream().anyMatch(e -> e.step() == step && e.state() == StepState.Done);
  }

  public void began(RestoreStep step, String message) {
    append(step, StepState.Running, message, null);
  }

  public void finished(RestoreStep step, String message) {
    append(step, StepState.Done, message, null);
  }

  /** {@code step} is done and left something at {@code path}. */
  public void finished(RestoreStep step, String message, String path) {
    append(step, StepState.Done, message, path);
  }

  /** Where {@code step} left something, when it is done and said so. */
  public Optional<String> pathOf(RestoreStep step) {
    return entries.stream().filter(e -> e.step() == step && e.state() == StepState.Done
        && e.path() != null).map(Entry::path).reduce((a, b) -> b);
  }

  public void failed(RestoreStep step, String message) {
    append(step, StepState.Failed, message, null);
  }

  public List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** This journal as the operator reads it: the latest state of each step begun. */
  public RestoreReport report() {
    return report(restore, entries);
  }

  private static RestoreReport report(RestoreReport.Restore restore, List<Entry> entries) {
    Map<RestoreStep, RestoreReport.StepReport> steps = new LinkedHashMap<>();
    for (Entry e : entries) {
      RestoreReport.StepReport before = steps.get(e.step());
      String message = e.message() == null || e.message().length() <= MAX_STEP_MESSAGE
          ? e.message() : e.message().substring(0, MAX_STEP_MESSAGE);
      steps.put(e.step(), e.state() == StepState.Running
          ? new RestoreReport.StepReport(e.step(), StepState.Running, e.time(), null, null)
          : new RestoreReport.StepReport(e.step(), e.state(),
              before == null ? e.time() : before.started(), e.time(), message));
    }
    return new RestoreReport(restore, List.copyOf(steps.values()));
  }

  public Optional<Entry> last() {
    return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
  }

  private void append(RestoreStep step, StepState state, String message, String path) {
    entries.add(new Entry(step, state, clock.instant().toString(), message, path));
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
