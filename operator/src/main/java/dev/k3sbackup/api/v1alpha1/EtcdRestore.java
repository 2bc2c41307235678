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

/** Restores the cluster's etcd from an EtcdSnapshot, on a single server or HA. */
@Group(EtcdSnapshot.GROUP)
@Version(EtcdSnapshot.VERSION)
@Kind("EtcdRestore")
@Plural("etcdrestores")
@Singular("etcdrestore")
@ShortNames({"erestore"})
@ValidationRule(value = "self.metadata.name.size() <= 63", message = "metadata.name must be at "
    + "most 63 characters: the operator puts it in label values (which Kubernetes limits to 63) "
    + "and derives its Jobs' names from it; use a shorter name")
@ValidationRule(value = "!has(oldSelf.spec) || self.spec == oldSelf.spec",
    message = "spec is immutable: create a new EtcdRestore instead")
@AdditionalPrinterColumn(name = "Snapshot", jsonPath = ".spec.snapshot")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Server", jsonPath = ".status.plan.server")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class EtcdRestore extends CustomResource<EtcdRestoreSpec, EtcdRestoreStatus>
    implements Namespaced {}
