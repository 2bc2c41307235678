package dev.k3sbackup.kubectl;

import dev.k3sbackup.cli.OutputOption;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.retention.RetentionPolicy;
import dev.k3sbackup.retention.ScheduleRetention;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code prune}: K3s's retention, on the EtcdSnapshot resources, on demand. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Delete the succeeded snapshots named <--name>-* beyond the N newest (local "
        + "copies counted per node, S3 copies per folder, as K3s counts); the newest succeeded "
        + "snapshot is never deleted. With --schedule: print what that schedule's retention "
        + "policy keeps and deletes, and which rule keeps each (the schedule prunes itself).")
final class PruneVerb extends PluginVerb {

  @Option(names = {"--name", "--etcd-snapshot-name"},
      defaultValue = SnapshotName.ON_DEMAND_PREFIX,
      description = "Name prefix to prune (default: ${DEFAULT-VALUE})")
  String name;

  @Option(names = {"--snapshot-retention", "--etcd-snapshot-retention"}, defaultValue = "5",
      paramLabel = "N", description = "How many to keep (default: ${DEFAULT-VALUE})")
  int retention;

  @Option(names = "--schedule", paramLabel = "SCHEDULE", description = "Show the plan of this "
      + "EtcdSnapshotSchedule's own retention policy (count, maxAge, keepHourly/Daily/Weekly/"
      + "Monthly, s3Retention, pinned, the newest restorable), each snapshot with the rules that "
      + "keep it; changes nothing (the operator prunes the schedule)")
  String schedule;

  @Option(names = "--dry-run", description = "Print what would be deleted and kept, and why; "
      + "delete nothing")
  boolean dryRun;

  @Mixin
  WaitOptions wait;

  @Mixin
  OutputOption output;

  /**
   * What {@code -o json|yaml} prints.
   *
   * @param prefix the name prefix counted
   * @param retention how many were kept in each store
   * @param deleted the EtcdSnapshots deleted
   * @param kept those beyond retention somewhere that stayed, with why
   */
  record Result(String prefix, int retention, List<String> deleted, List<PrunePlan.Kept> kept) {}

  @Override
  int run(BackupApi api) {
    if (schedule != null) {
      return scheduleRun(api);
    }
    RetentionPolicy.fromFlags(name, retention); // refuse bad flags before any request
    wait.timeout();
    PrunePlan plan = PrunePlan.of(api.snapshots(), name, retention, context().clock().instant());
    PrintWriter out = out();
    boolean table = output.table();
    if (dryRun) {
      if (table) {
        plan.delete().forEach(d -> out.printf("Would delete %s (EtcdSnapshot %s): beyond the %d "
            + "newest named %s-*%n", d.getStatus().snapshotName, d.getMetadata().getName(),
            retention, name));
        for (PrunePlan.Kept k : plan.kept()) {
          out.printf("Would keep %s (EtcdSnapshot %s) beyond retention: %s%n", k.name(),
              k.resource(), k.reason());
        }
      } else {
        out.print(output.render(new Result(name, retention, plan.delete().stream()
            .map(d -> d.getMetadata().getName()).toList(), plan.kept())));
      }
      out.flush();
      return 0;
    }
    new SnapshotDeleter(api, table ? out : new PrintWriter(PrintWriter.nullWriter()))
        .delete(plan.delete(), wait.wait ? waiter(wait) : null);
    if (table) {
      for (PrunePlan.Kept k : plan.kept()) {
        out.printf("Kept %s (EtcdSnapshot %s) beyond retention: %s%n", k.name(), k.resource(),
            k.reason());
      }
      if (plan.delete().isEmpty() && plan.kept().isEmpty()) {
        out.printf("Nothing to prune: at most %d succeeded snapshots named %s-* in each store%n",
            retention, name);
      }
    } else {
      out.print(output.render(new Result(name, retention,
          plan.delete().stream().map(s -> s.getMetadata().getName()).toList(), plan.kept())));
    }
    out.flush();
    return 0;
  }

  /**
   * What {@code --schedule -o json|yaml} prints.
   *
   * @param schedule the EtcdSnapshotSchedule
   * @param policy its policy in words
   * @param snapshots each counted snapshot, newest first: what happens to it and why
   */
  record SchedulePlan(String schedule, String policy, List<Planned> snapshots) {}

  /**
   * One snapshot of a schedule's plan.
   *
   * @param resource the EtcdSnapshot
   * @param takenAt the time in its name
   * @param action KEEP, DELETE, DROP_LOCAL (its S3 copy stays) or DROP_S3 (its file stays)
   * @param why per copy, the rules that keep it, or why it goes
   */
  record Planned(String resource, String takenAt, ScheduleRetention.Action action, String why) {}

  private int scheduleRun(BackupApi api) {
    EtcdSnapshotSchedule found = api.client().resources(EtcdSnapshotSchedule.class)
        .inNamespace(api.namespace()).withName(schedule).get();
    if (found == null) {
      throw SnapshotException.badInput("--schedule: no EtcdSnapshotSchedule " + schedule
          + " in namespace " + api.namespace() + " (kubectl get etcdsnapshotschedules -n "
          + api.namespace() + ")");
    }
    List<EtcdSnapshot> children = api.snapshots().stream().filter(c -> c.getMetadata()
        .getLabels() != null && schedule.equals(c.getMetadata().getLabels().get(
            Labels.SCHEDULE))).toList();
    ScheduleRetention.Plan plan = ScheduleRetention.plan(found.getSpec(), children,
        context().clock().instant());
    List<Planned> planned = plan.outcomes().stream().map(o -> new Planned(o.name(),
        o.takenAt() == null ? null : o.takenAt().toString(), o.action(), o.why())).toList();
    PrintWriter out = out();
    if (output.table()) {
      out.printf("Schedule %s: %s%n", schedule, plan.policy());
      for (Planned p : planned) {
        out.printf("%-10s %s (taken %s): %s%n", switch (p.action()) {
          case KEEP -> "Keep";
          case DELETE -> "Delete";
          case DROP_LOCAL -> "Keep S3";
          case DROP_S3 -> "Keep local";
        }, p.resource(), p.takenAt(), p.why());
      }
      if (planned.isEmpty()) {
        out.printf("No succeeded snapshots of schedule %s yet%n", schedule);
      }
    } else {
      out.print(output.render(new SchedulePlan(schedule, plan.policy(), planned)));
    }
    out.flush();
    return 0;
  }
}
