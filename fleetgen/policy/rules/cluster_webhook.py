"""cluster-webhook: rendered Clusters must pass the Cluster admission webhook.

Mirrors the Cluster validating webhook on every rendered Cluster (fleetgen never uses
ClusterClass topologies, so both references are required):

* `metadata.name` is a valid label value ("must be a valid label value"): it is copied into the
  `cluster.x-k8s.io/cluster-name` label of every object of the cluster;
* `spec.infrastructureRef` and `spec.controlPlaneRef` are set with `apiGroup`, `kind` and `name`
  (upstream: "one of spec.controlPlaneRef, spec.infrastructureRef or spec.topology must be set";
  a fleetgen cluster without either would never provision);
* every `spec.clusterNetwork.{pods,services}.cidrBlocks[i]` parses as a CIDR (`net.ParseCIDR`).

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/cluster.go (`validate`).

Failing example::

    apiVersion: cluster.x-k8s.io/v1beta2
    kind: Cluster
    metadata: {name: kv-demo}
    spec:
      clusterNetwork: {pods: {cidrBlocks: [10.243.0.0/33]}}
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: KubevirtCluster, name: kv-demo}

Passing example::

    apiVersion: cluster.x-k8s.io/v1beta2
    kind: Cluster
    metadata: {name: kv-demo}
    spec:
      clusterNetwork: {pods: {cidrBlocks: [10.243.0.0/16]}}
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: KubevirtCluster, name: kv-demo}
      controlPlaneRef: {apiGroup: controlplane.cluster.x-k8s.io, kind: KubeadmControlPlane, name: kv-demo-control-plane}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.ipnet import parse_cidr
from fleetgen.policy.labels import label_value_errors
from fleetgen.policy.objects import get, objects_of_kind

CAPI_GROUP = "cluster.x-k8s.io"


class ClusterWebhookRule:
    """Rendered Clusters pass the Cluster webhook."""

    id = "cluster-webhook"
    severity = Severity.ERROR
    summary = "rendered Clusters must pass the Cluster admission webhook (name, infrastructure/control-plane refs, CIDR blocks)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per webhook rule a rendered Cluster breaks."""
        for file, obj in objects_of_kind(ctx.rendered, "Cluster", group=CAPI_GROUP):
            m = obj.manifest
            for problem in label_value_errors(obj.ref.name):
                yield object_finding(self, ctx, file, obj, "/metadata/name", f"must be a valid label value: {problem}")
            for ref in ("infrastructureRef", "controlPlaneRef"):
                value = get(m, f"/spec/{ref}")
                if not value:
                    yield object_finding(self, ctx, file, obj, f"/spec/{ref}",
                                         "must be set; fleetgen clusters need both spec.infrastructureRef and spec.controlPlaneRef")
                    continue
                for part in ("apiGroup", "kind", "name"):
                    if not get(value, f"/{part}"):
                        yield object_finding(self, ctx, file, obj, f"/spec/{ref}/{part}", "cannot be empty")
            for field in ("pods", "services"):
                for i, block in enumerate(get(m, f"/spec/clusterNetwork/{field}/cidrBlocks") or []):
                    if parse_cidr(block) is None:
                        yield object_finding(self, ctx, file, obj, f"/spec/clusterNetwork/{field}/cidrBlocks/{i}",
                                             f"invalid CIDR address: {block}")


RULE = ClusterWebhookRule()
