package dev.k3sbackup.status;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The one way the operator writes a status: on the resource as the API server has it now (read
 * just before; its resourceVersion guards the write, which is read and made again when another
 * writer came between). Nothing is written when the status there is already the one wanted.
 *
 * <p>A resource's reconciler owns its status and writes it whole ({@link #replaceNow}), keeping
 * the few fields another writer owns as they are there: an EtcdSnapshot's {@code progress} (the
 * node agent merges it while a save runs) and its {@value SnapshotAvailability#TYPE} condition
 * (the node scans' finding). Those other writers change only their fields, on the resource as it
 * is now ({@link #editNow}).
 *
 * <p>Why not JOSDK's {@code UpdateControl.patchStatus}: without server-side apply (which the mock
 * API server of the tests refuses) JOSDK 5.2 sends a JSON Patch computed between the resource as
 * the reconcile began and as it ended, and keeps nothing of what it wrote. That beginning is the
 * informer's copy, which can lag the API server (a write earlier in the same reconcile, or the
 * previous reconcile's, not seen yet). A patch whose array indexes were computed from a lagging
 * copy is refused ({@code Array index 3 out of bounds}, again at every retry: the schedule of
 * {@code EtcdSnapshotScheduleOperatorIT} stopped pruning), or, where the index exists, adds a
 * condition a second time. A write made over a fresh read has neither failure.
 */
public final class StatusWriter {

  private static final int ATTEMPTS = 5;

  private StatusWriter() {}

  /**
   * Writes {@code resource}'s whole status now, before the step that depends on it (such as
   * creating a Job named in it). The resource given is left as it is.
   *
   * @return the resource as written, or as found when there was nothing to write; null when it
   *     is gone
   */
  public static <S, T extends CustomResource<?, S>> T replaceNow(KubernetesClient client,
      T resource) {
    S wanted = resource.getStatus();
    return editNow(client, resource, current -> {
      S mine = wanted == null ? null : Serialization.clone(wanted);
      keepOthersFields(mine, current.getStatus());
      current.setStatus(mine);
    });
  }

  /**
   * {@link #replaceNow(KubernetesClient, CustomResource)} for the resource a reconcile is about;
   * the controller's cache then holds what was written, so that its next reconcile starts from
   * it even before the informer has seen it.
   */
  public static <S, T extends CustomResource<?, S>> T replaceNow(Context<T> context, T resource) {
    T written = replaceNow(context.getClient(), resource);
    if (written != null) {
      var source = context.eventSourceRetriever().getControllerEventSource();
      ResourceID id = ResourceID.fromResource(written);
      source.get(id).filter(cached -> !Objects.equals(cached.getMetadata().getResourceVersion(),
          written.getMetadata().getResourceVersion())).ifPresent(cached ->
          source.handleRecentResourceUpdate(id, written, cached));
    }
    return written;
  }

  /** {@link #replaceNow(Context, CustomResource)}, as what a reconcile returns. */
  public static <S, T extends CustomResource<?, S>> UpdateControl<T> written(Context<T> context,
      T resource) {
    replaceNow(context, resource);
    return UpdateControl.noUpdate();
  }

  /**
   * Reads {@code resource} from the API server, applies {@code change} to its status there and
   * writes it back when that changed it; read and applied again when another writer came between.
   *
   * @return the resource as written, or as found when there was nothing to write; null when it
   *     is gone
   */
  public static <S, T extends CustomResource<?, S>> T editNow(KubernetesClient client,
      T resource, Consumer<T> change) {
    for (int attempt = 1; ; attempt++) {
      T current = client.resource(resource).get();
      if (current == null) {
        return null;
      }
      String before = Serialization.asJson(current.getStatus());
      change.accept(current);
      if (before.equals(Serialization.asJson(current.getStatus()))) {
        return current;
      }
      try {
        return client.resource(current).updateStatus();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /** Into {@code wanted}, the fields of {@code current} another writer than its owner owns. */
  private static void keepOthersFields(Object wanted, Object current) {
    if (wanted instanceof EtcdSnapshotStatus mine) {
      EtcdSnapshotStatus now = current instanceof EtcdSnapshotStatus s ? s
          : new EtcdSnapshotStatus();
      mine.progress = now.progress;
      keepCondition(mine.conditions, now.conditions, SnapshotAvailability.TYPE);
    }
  }

  /** Condition {@code type} in {@code mine} as it is in {@code now}, in its place when it has one. */
  private static void keepCondition(List<Condition> mine, List<Condition> now, String type) {
    var theirs = Conditions.find(now, type);
    for (int i = 0; i < mine.size(); i++) {
      if (type.equals(mine.get(i).getType())) {
        if (theirs.isPresent()) {
          mine.set(i, theirs.get());
        } else {
          mine.remove(i);
        }
        return;
      }
    }
    theirs.ifPresent(mine::add);
  }
}
