package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreStatus;
import dev.k3sbackup.api.v1alpha1.PhaseTransition;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import java.time.Clock;

/**
 * How an {@code EtcdRestore} enters a phase, the same for its reconciler and for a resource
 * recreated from the nodes' journals: phase, message and history; for a terminal phase also
 * the conditions and an Event with the same reason.
 */
final class RestorePhases {

  private final EventRecorder events;
  private final Clock clock;

  RestorePhases(EventRecorder events, Clock clock) {
    this.events = events;
    this.clock = clock;
  }

  /** Records {@code phase} in status and its history. */
  void enter(EtcdRestore restore, RestorePhase phase, String message) {
    EtcdRestoreStatus status = restore.getStatus();
    status.phase = phase;
    status.message = message;
    status.observedGeneration = restore.getMetadata().getGeneration();
    PhaseTransition t = new PhaseTransition();
    t.phase = phase;
    t.time = clock.instant().toString();
    t.message = message;
    status.history.add(t);
  }

  /** Ends in {@code phase} (Succeeded or PlanReady): Ready, and a Normal Event. */
  void succeed(EtcdRestore restore, RestorePhase phase, String reason, String message) {
    enter(restore, phase, message);
    Conditions.set(restore.getStatus().conditions, Conditions.READY, true, reason, message,
        restore.getMetadata().getGeneration(), clock.instant());
    events.normal(restore, reason, message);
  }

  /** Ends in Failed: not Ready, Failed, and a Warning Event. */
  void fail(EtcdRestore restore, String reason, String message) {
    enter(restore, RestorePhase.Failed, message);
    var conditions = restore.getStatus().conditions;
    Conditions.set(conditions, Conditions.READY, false, reason, message,
        restore.getMetadata().getGeneration(), clock.instant());
    Conditions.set(conditions, Conditions.FAILED, true, reason, message,
        restore.getMetadata().getGeneration(), clock.instant());
    events.warning(restore, reason, message);
  }
}
