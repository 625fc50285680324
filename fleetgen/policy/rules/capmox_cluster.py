"""capmox-cluster: rendered ProxmoxClusters must pass the ProxmoxCluster webhook.

Mirrors the ProxmoxCluster validating webhook on every rendered ProxmoxCluster:

* at least one of `ipv4Config` / `ipv6Config` is set ("proxmox cluster must define at least one
  IP pool config"): CAPMOX builds the node IPAM pools from them;
* unless `externalManagedControlPlane` is true, `controlPlaneEndpoint.host` is an IP address or a
  host name / FQDN ("provided endpoint address is not a valid IP or FQDN");
* every `addresses` entry is an IP, an `a-b` range or a CIDR ("provided addresses are not valid
  IP addresses, ranges or CIDRs").

"addresses may not contain the endpoint IP" is checked on the spec by `proxmox-vip-in-range`.

Severity: error.

Source:
    ionos-cloud/cluster-api-provider-proxmox v0.9.0, internal/webhook/proxmoxcluster_webhook.go
    (`ValidateCreate`, `validateControlPlaneEndpoint`, `isHostname`, `buildSetFromAddresses`).

Failing example::

    apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2
    kind: ProxmoxCluster
    spec:
      controlPlaneEndpoint: {host: "api_server.local", port: 6443}

Passing example::

    apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2
    kind: ProxmoxCluster
    spec:
      controlPlaneEndpoint: {host: 10.10.10.9, port: 6443}
      ipv4Config: {addresses: [10.10.10.10-10.10.10.20], prefix: 24, gateway: 10.10.10.1}
      dnsServers: [10.10.10.1]
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.ipnet import parse_interval, parse_ip
from fleetgen.policy.objects import get, objects_of_kind

INFRA_GROUP = "infrastructure.cluster.x-k8s.io"
# isHostname() of the webhook, verbatim: shortname | optional hostname + domain, case-insensitive.
_HOSTNAME = re.compile(
    r"^(([a-z0-9]{1,253}|[a-z0-9][a-z0-9-]{1,251}[a-z0-9])|([a-z0-9]{1,63}|[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\.)?"
    r"((([a-z0-9]{1,63}|[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.)+?[a-z]{2,63}))$",
    re.IGNORECASE,
)


def is_ip_or_hostname(host: object) -> bool:
    """True if `host` is what the CAPMOX webhook accepts as a control-plane endpoint."""
    return isinstance(host, str) and (bool(_HOSTNAME.match(host)) or parse_ip(host) is not None)


class CapmoxClusterRule:
    """Rendered ProxmoxClusters pass the ProxmoxCluster webhook."""

    id = "capmox-cluster"
    severity = Severity.ERROR
    summary = "rendered ProxmoxClusters must pass the ProxmoxCluster webhook (an IP config, a valid endpoint, valid addresses)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per webhook rule a rendered ProxmoxCluster breaks."""
        for file, obj in objects_of_kind(ctx.rendered, "ProxmoxCluster", group=INFRA_GROUP):
            spec = get(obj.manifest, "/spec") or {}
            if not spec.get("ipv4Config") and not spec.get("ipv6Config"):
                yield object_finding(self, ctx, file, obj, "/spec", "proxmox cluster must define at least one IP pool config "
                                     "(ipv4Config or ipv6Config)")
            if spec.get("externalManagedControlPlane") is not True:
                host = get(spec, "/controlPlaneEndpoint/host")
                if not is_ip_or_hostname(host):
                    yield object_finding(self, ctx, file, obj, "/spec/controlPlaneEndpoint/host",
                                         f"provided endpoint address is not a valid IP or FQDN, got {host!r}")
            for config in ("ipv4Config", "ipv6Config"):
                for i, entry in enumerate(get(spec, f"/{config}/addresses") or []):
                    if parse_interval(entry) is None:
                        yield object_finding(self, ctx, file, obj, f"/spec/{config}/addresses/{i}",
                                             f"provided addresses are not valid IP addresses, ranges or CIDRs, got {entry!r}")


RULE = CapmoxClusterRule()
