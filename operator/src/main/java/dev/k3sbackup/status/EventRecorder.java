package dev.k3sbackup.status;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Events} recorded through the API (a failure to record one is logged, not raised). */
public final class EventRecorder implements Events {

  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  private final KubernetesClient client;
  private final Clock clock;

  public EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  @Override
  public void normal(HasMetadata on, String reason, String message) {
    record(on, "Normal", reason, message);
  }

  @Override
  public void warning(HasMetadata on, String reason, String message) {
    record(on, "Warning", reason, message);
  }

  private void record(HasMetadata on, String type, String reason, String message) {
    String now = clock.instant().toString();
    var event = new EventBuilder()
        .withNewMetadata()
          .withGenerateName(on.getMetadata().getName() + ".")
          .withNamespace(on.getMetadata().getNamespace())
        .endMetadata()
        .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(on.getApiVersion())
            .withKind(on.getKind()).withName(on.getMetadata().getName())
            .withNamespace(on.getMetadata().getNamespace()).withUid(on.getMetadata().getUid())
            .build())
        .withType(type).withReason(reason).withMessage(message)
        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
        .withNewSource().withComponent("k3s-etcd-backup").endSource()
        .build();
    try {
      client.v1().events().inNamespace(on.getMetadata().getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      LOG.warn("cannot record event {} on {}: {}", reason, on.getMetadata().getName(),
          e.getMessage());
    }
  }
}
