"""capmox-cluster: rendered ProxmoxClusters must pass the ProxmoxCluster webhook.

Mirrors the ProxmoxCluster validating webhook on every rendered ProxmoxCluster:

* at least one of `ipv4Config` / `ipv6Config` is set ("proxmox cluster must define at least one
  IP pool config"): CAPMOX builds the node IPAM pools from them;
* unless `externalManagedControlPlane` is true, `controlPlaneEndpoint.host` is an IP address or a
  host name / FQDN ("provided endpoint address is not a valid IP or FQDN");
* every `addresses` entry is an IP, an `a-b` range or a CIDR ("provided addresses are not valid
  IP addresses, ranges or CIDRs").

* unless `externalManagedControlPlane` is true, no `addresses` entry holds the endpoint IP
  ("addresses may not contain the endpoint IP").

And, for each IP config, what the in-cluster IPAM webhook checks on the InClusterIPPool CAPMOX
creates from it (the pool is created by the controller, after the merge; its rejection leaves
the cluster half-created):

* every address entry and the gateway are of the config's family ("provided addresses are of
  mixed IP families", "provided gateway and addresses are of mixed IP families");
* every address entry is inside the pool's subnet, its lowest address with `prefix` ("provided
  address belongs to a different subnet than others").

From a spec, these problems are reported at the spec's field by `proxmox-vip-in-range`,
`proxmox-address-family` and `proxmox-addresses-subnet` (which supersede this rule at the same
line); here they catch a ProxmoxCluster edited by hand under `fleet/`.

Severity: error.

Source:
    ionos-cloud/cluster-api-provider-proxmox v0.9.0, internal/webhook/proxmoxcluster_webhook.go
    (`ValidateCreate`, `validateControlPlaneEndpoint`, `isHostname`, `buildSetFromAddresses`);
    kubernetes-sigs/cluster-api-ipam-provider-in-cluster, internal/webhooks/inclusterippool.go
    (`validateAddresses`, `validateAddressesAreWithinPrefix`).

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
from typing import TYPE_CHECKING

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.ipnet import IPInterval, parse_interval, parse_ip, pool_network
from fleetgen.policy.objects import get, objects_of_kind

if TYPE_CHECKING:
    from fleetgen.render.base import OutputFile, RenderedObject

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
    summary = ("rendered ProxmoxClusters must pass the ProxmoxCluster webhook (an IP config, a valid endpoint outside "
               "the addresses, valid addresses) and the IPAM webhook on their pools (one family, one subnet)")
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per webhook rule a rendered ProxmoxCluster breaks (per address entry for the
        address rules)."""
        for file, obj in objects_of_kind(ctx.rendered, "ProxmoxCluster", group=INFRA_GROUP):
            spec = get(obj.manifest, "/spec") or {}
            if not spec.get("ipv4Config") and not spec.get("ipv6Config"):
                yield object_finding(self, ctx, file, obj, "/spec", "proxmox cluster must define at least one IP pool config "
                                     "(ipv4Config or ipv6Config)")
            host = get(spec, "/controlPlaneEndpoint/host")
            managed = spec.get("externalManagedControlPlane") is not True
            if managed and not is_ip_or_hostname(host):
                yield object_finding(self, ctx, file, obj, "/spec/controlPlaneEndpoint/host",
                                     f"provided endpoint address is not a valid IP or FQDN, got {host!r}")
            endpoint = parse_ip(host) if managed and isinstance(host, str) else None
            for config, family in (("ipv4Config", 4), ("ipv6Config", 6)):
                entries = get(spec, f"/{config}/addresses") or []
                intervals = [parse_interval(entry) for entry in entries] if isinstance(entries, list) else []
                for i, (entry, interval) in enumerate(zip(entries, intervals, strict=False)):
                    if interval is None:
                        yield object_finding(self, ctx, file, obj, f"/spec/{config}/addresses/{i}",
                                             f"provided addresses are not valid IP addresses, ranges or CIDRs, got {entry!r}")
                    elif endpoint is not None and interval.version == endpoint.version \
                            and interval.first <= int(endpoint) <= interval.last:
                        yield object_finding(self, ctx, file, obj, "/spec/controlPlaneEndpoint/host",
                                             f"{endpoint} is inside {config}.addresses[{i}] {entry}; addresses may not "
                                             "contain the endpoint IP")
                yield from self._ipam_pool(ctx, file, obj, config, family, intervals)

    def _ipam_pool(self, ctx: PolicyContext, file: OutputFile, obj: RenderedObject, config: str, family: int,
                   intervals: list[IPInterval | None]) -> Iterator[Finding]:
        """The in-cluster IPAM webhook's checks of the pool CAPMOX creates from one IP config."""
        mixed = any(iv is not None and iv.version == family for iv in intervals)
        for i, interval in enumerate(intervals):
            if interval is not None and interval.version != family:
                why = ("provided addresses are of mixed IP families" if mixed
                       else f"{config} takes IPv{family} addresses only")
                yield object_finding(self, ctx, file, obj, f"/spec/{config}/addresses/{i}",
                                     f"{interval} is IPv{interval.version} in {config}; {why}")
        gateway = get(obj.manifest, f"/spec/{config}/gateway")
        gateway_ip = parse_ip(gateway) if isinstance(gateway, str) else None
        if gateway_ip is not None and gateway_ip.version != family:
            yield object_finding(self, ctx, file, obj, f"/spec/{config}/gateway",
                                 f"{gateway_ip} is IPv{gateway_ip.version} in {config}; provided gateway and addresses "
                                 "are of mixed IP families")
        prefix = get(obj.manifest, f"/spec/{config}/prefix")
        same = [iv for iv in intervals if iv is not None and iv.version == family]
        network = pool_network(same, prefix) if isinstance(prefix, int) and not isinstance(prefix, bool) else None
        if network is None:
            return
        for i, interval in enumerate(intervals):
            if interval is not None and interval.version == family and not interval.within(network):
                yield object_finding(self, ctx, file, obj, f"/spec/{config}/addresses/{i}",
                                     f"{interval} is not inside {network} (the lowest address with prefix {prefix}); "
                                     "provided address belongs to a different subnet than others")


RULE = CapmoxClusterRule()
