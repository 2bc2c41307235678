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

/**
 * One etcd snapshot of the cluster: creating it is {@code k3s etcd-snapshot save}, deleting it
 * deletes the file and S3 object.
 */
@Group(EtcdSnapshot.GROUP)
@Version(EtcdSnapshot.VERSION)
@Kind("EtcdSnapshot")
@Plural("etcdsnapshots")
@Singular("etcdsnapshot")
@ShortNames({"esnap", "etcdsnap"})
@ValidationRule(value = "self.metadata.name.size() <= 63", message = "metadata.name must be at "
    + "most 63 characters: the operator puts it in label values (which Kubernetes limits to 63) "
    + "and derives its Jobs' names from it; use a shorter name")
@ValidationRule(value = "!has(oldSelf.spec) || self.spec == oldSelf.spec",
    message = "spec is immutable: create a new EtcdSnapshot instead")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Node", jsonPath = ".status.node")
@AdditionalPrinterColumn(name = "Size", jsonPath = ".status.size",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Location", jsonPath = ".status.s3.location", priority = 1)
@AdditionalPrinterColumn(name = "Path", jsonPath = ".status.localPath", priority = 1)
@AdditionalPrinterColumn(name = "Revision", jsonPath = ".status.etcdRevision",
    type = AdditionalPrinterColumn.Type.INTEGER, priority = 1)
@AdditionalPrinterColumn(name = "Drill", jsonPath = ".status.drill.phase", priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class EtcdSnapshot extends CustomResource<EtcdSnapshotSpec, EtcdSnapshotStatus>
    implements Namespaced {

  public static final String GROUP = "k3sbackup.dev";
  public static final String VERSION = "v1alpha1";
}
