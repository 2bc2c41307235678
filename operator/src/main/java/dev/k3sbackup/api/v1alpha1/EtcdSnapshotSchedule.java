package dev.k3sbackup.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** Snapshots on a cron schedule, pruned to retention: K3s's scheduled etcd snapshots. */
@Group(EtcdSnapshot.GROUP)
@Version(EtcdSnapshot.VERSION)
@Kind("EtcdSnapshotSchedule")
@Plural("etcdsnapshotschedules")
@Singular("etcdsnapshotschedule")
@ShortNames({"esched", "etcdsched"})
@ValidationRule(value = "self.metadata.name.size() <= 63", message = "metadata.name must be at "
    + "most 63 characters: the operator puts it in label values (which Kubernetes limits to 63) "
    + "and derives its Jobs' names from it; use a shorter name")
@AdditionalPrinterColumn(name = "Schedule", jsonPath = ".spec.schedule")
@AdditionalPrinterColumn(name = "Suspend", jsonPath = ".spec.suspend",
    type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Retention", jsonPath = ".spec.retention",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Last Success", jsonPath = ".status.lastSuccessfulTime",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Next Run", jsonPath = ".status.nextScheduleTime")
@AdditionalPrinterColumn(name = "Restorable", jsonPath = ".status.lastRestorableTime",
    type = AdditionalPrinterColumn.Type.DATE, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class EtcdSnapshotSchedule
    extends CustomResource<EtcdSnapshotScheduleSpec, EtcdSnapshotScheduleStatus>
    implements Namespaced {
}
