"""cluster-network-change: a running cluster keeps the pod and service networks it was created with.

`Cluster.spec.clusterNetwork` (pods, services, serviceDomain) is handed to `kubeadm init` once,
when the first control-plane machine boots. Every webhook accepts a later change, and the plan
looks harmless (an in-place update of the Cluster, no machine replaced), but nothing applies it to
the running cluster: kube-apiserver keeps its `--service-cluster-ip-range` and existing Services
their cluster IPs, kube-controller-manager keeps handing out node pod CIDRs from the old range,
the CNI keeps its IP pools, and CoreDNS keeps the old domain. Machines created afterwards join with
the stored kubeadm configuration. So the new values only describe a cluster that does not exist:
a warning, to make the change deliberately (or to create a new cluster).

Compares each CAPI Cluster's `spec.clusterNetwork` with the base revision's; skipped when there is
no base revision, and for a Cluster whose infrastructure provider changed (a hypervisor switch,
refused as a whole by `infrastructure-provider-change`; its default serviceDomain differs).

Severity: warning.

Source:
    kubernetes-sigs/cluster-api v1.12.11, controlplane/kubeadm (the ClusterConfiguration
    `networking` comes from `Cluster.spec.clusterNetwork` at init; the kubeadm-config ConfigMap of
    a running cluster is not re-networked); kubeadm `networking.podSubnet` / `serviceSubnet` are
    read by `kubeadm init` only (kubernetes/kubernetes cmd/kubeadm).

Failing example (base revision: `services: [10.95.0.0/16]`)::

    spec:
      clusterNetwork:
        services: [10.96.0.0/12]

Passing example::

    spec:
      clusterNetwork:
        services: [10.95.0.0/16]
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.objects import first_difference, get, short, transitions

CAPI_GROUP = "cluster.x-k8s.io"


class ClusterNetworkChangeRule:
    """A Cluster's clusterNetwork matches the base revision's."""

    id = "cluster-network-change"
    severity = Severity.WARNING
    summary = "pod/service CIDRs and serviceDomain of a running cluster are never re-applied to it"
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one warning per Cluster whose clusterNetwork differs from the base revision's."""
        for t in transitions(ctx, "Cluster", group=CAPI_GROUP):
            if get(t.old.manifest, "/spec/infrastructureRef/kind") != get(t.new.manifest, "/spec/infrastructureRef/kind"):
                continue  # (a hypervisor switch: `infrastructure-provider-change` refuses the whole change)
            diff = first_difference(get(t.old.manifest, "/spec/clusterNetwork"), get(t.new.manifest, "/spec/clusterNetwork"),
                                    "/spec/clusterNetwork")
            if diff is None:
                continue
            pointer, old, new = diff
            yield object_finding(self, ctx, t.file, t.new, pointer,
                                 f"changed from {short(old)} to {short(new)}; kubeadm used the cluster network once, at "
                                 "init: the running cluster keeps its service range, pod CIDRs, CNI pools and DNS domain",
                                 hint="keep the networks of a running cluster; new networks mean a new cluster")


RULE = ClusterNetworkChangeRule()
