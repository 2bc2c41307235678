package dev.k3sbackup.status;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.PhaseTransition;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an {@code EtcdRestore} enters a phase, the same for its reconciler and for a resource
 * recreated from the nodes' journals: phase, message and history; for a terminal phase also
 * the conditions and an Event with the same reason.
 */
public final class RestorePhases {

  private static final Logger LOG = LoggerFactory.getLogger(RestorePhases.class);
  /** The reason of a restore that succeeded, on its condition and Event. */
  public static final String RESTORED = "Restored";
  /** The reason of a restore whose node steps failed. */
  public static final String RESTORE_FAILED = "RestoreFailed";

  private final Events events;
  private final Clock clock;

  public RestorePhases(Events events, Clock clock) {
    this.events = events;
    this.clock = clock;
  }

  /** Records {@code phase} in status and its history. */
  public void enter(EtcdRestore restore, RestorePhase phase, String message) {
    EtcdRestoreStatus status = restore.getStatus();
    status.phase = phase;
    status.message = message;
    status.observedGeneration = restore.getMetadata().getGeneration();
    PhaseTransition t = new PhaseTransition();
    t.phase = phase;
    t.time = clock.instant().toString();
    t.message = message;
    status.history.add(t);
    LOG.info("restore {}/{}: {}: {}", restore.getMetadata().getNamespace(),
        restore.getMetadata().getName(), phase, message);
  }

  /** Ends in {@code phase} (Succeeded or PlanReady): Ready, and a Normal Event. */
  public void succeed(EtcdRestore restore, RestorePhase phase, String reason, String message) {
    enter(restore, phase, message);
    Conditions.set(restore.getStatus().conditions, Conditions.READY, true, reason, message,
        restore.getMetadata().getGeneration(), clock.instant());
    events.normal(restore, reason, message);
  }

  /** Ends in Failed: not Ready, Failed, and a Warning Event. */
  public void fail(EtcdRestore restore, String reason, String message) {
    enter(restore, RestorePhase.Failed, message);
    var conditions = restore.getStatus().conditions;
    Conditions.set(conditions, Conditions.READY, false, reason, message,
        restore.getMetadata().getGeneration(), clock.instant());
    Conditions.set(conditions, Conditions.FAILED, true, reason, message,
        restore.getMetadata().getGeneration(), clock.instant());
    events.warning(restore, reason, message);
  }

  /**
   * Shows what the nodes' journals say ({@code verdict}) as the restore's phase: Succeeded,
   * Failed, or still Restoring. The reconciler and the journal collector both come here.
   */
  public void show(EtcdRestore restore, RestoreOutcome.Verdict verdict, String message) {
    switch (verdict) {
      case SUCCEEDED -> succeed(restore, RestorePhase.Succeeded, RESTORED, message);
      case FAILED -> fail(restore, RESTORE_FAILED, message);
      case RUNNING -> enter(restore, RestorePhase.Restoring, message);
    }
  }
}
