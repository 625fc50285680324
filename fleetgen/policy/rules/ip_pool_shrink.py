"""ip-pool-shrink: warn when a Proxmox cluster's node address range shrinks.

CAPMOX turns ProxmoxCluster `ipv4Config` / `ipv6Config` into in-cluster IPAM pools. The IPAM
webhook refuses to update a pool so that it no longer contains addresses already allocated to
Machines ("pool addresses do not contain allocated addresses"), and even when the removed
addresses happen to be free, fewer addresses can stall the next rollout (a rollout needs one
extra address per surging Machine). fleetgen cannot see which addresses are allocated, so a
removed address is a warning to check before merging -- unless fewer of the base revision's
addresses remain than the base revision runs Machines (control-plane replicas plus every
MachineDeployment's replicas, the autoscaler's minimum when replicas are left to it; the gateway
and the subnet's network and broadcast addresses do not count, IPAM never hands them out, as
`proxmox-pool-capacity` counts them; removing only those is no finding): each Machine holds one address of the pool, so at least one allocated address is then certainly dropped and the
update certainly rejected, an error.

Compares each rendered ProxmoxCluster with the same object in the base revision; skipped when
there is no base revision.

Severity: warning (error when the remaining addresses cannot hold the base revision's Machines).

Source:
    kubernetes-sigs/cluster-api-ipam-provider-in-cluster, internal/webhooks/inclusterippool.go
    (`ValidateUpdate`); ionos-cloud/cluster-api-provider-proxmox v0.9.0 (pools from `ipv4Config`);
    FIELD.md §1.15.

Failing example (base revision: `addresses: [10.10.10.10-10.10.10.20]`)::

    spec:
      proxmox:
        ipv4: {addresses: [10.10.10.10-10.10.10.15], prefix: 24, gateway: 10.10.10.1}

Passing example (growing is fine)::

    spec:
      proxmox:
        ipv4: {addresses: [10.10.10.10-10.10.10.30], prefix: 24, gateway: 10.10.10.1}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.ipnet import IPInterval, merge, parse_interval, reserved_addresses, subtract
from fleetgen.policy.objects import cluster_name_of, get, machine_count, transitions

INFRA_GROUP = "infrastructure.cluster.x-k8s.io"


def _intervals(entries: object) -> list[IPInterval]:
    if not isinstance(entries, list):
        return []
    return [iv for iv in (parse_interval(e) for e in entries) if iv is not None]


def _where(old: object, new: object, config: str) -> str:
    """The field a shrink is reported at: the first entry edited in place (same list length), else the list."""
    if not isinstance(new, list) or not new:
        return f"/spec/{config}"
    if isinstance(old, list) and len(old) == len(new):
        for i, (before, after) in enumerate(zip(old, new, strict=True)):
            if before != after and subtract(_intervals([before]), _intervals(new)):
                return f"/spec/{config}/addresses/{i}"
    return f"/spec/{config}/addresses"


class IpPoolShrinkRule:
    """Proxmox node address pools only grow."""

    id = "ip-pool-shrink"
    severity = Severity.WARNING
    summary = "a Proxmox node address range shrank: IPAM rejects pools that drop allocated addresses"
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one warning per ProxmoxCluster IP config that lost addresses."""
        for t in transitions(ctx, "ProxmoxCluster", group=INFRA_GROUP):
            for config in ("ipv4Config", "ipv6Config"):
                old = _intervals(get(t.old.manifest, f"/spec/{config}/addresses"))
                new = _intervals(get(t.new.manifest, f"/spec/{config}/addresses"))
                if not old:
                    continue
                # what IPAM never hands out (the base pool's gateway, network and broadcast addresses)
                # no Machine holds: removing it changes nothing
                reserved = [iv for _, iv in reserved_addresses(merge(old), get(t.old.manifest, f"/spec/{config}/prefix"),
                                                               get(t.old.manifest, f"/spec/{config}/gateway"))]
                removed = subtract(subtract(old, new), reserved)
                if not removed:
                    continue
                count = sum(iv.size for iv in removed)
                shown = ", ".join(str(iv) for iv in removed[:3]) + (", ..." if len(removed) > 3 else "")
                pointer = _where(get(t.old.manifest, f"/spec/{config}/addresses"),
                                 get(t.new.manifest, f"/spec/{config}/addresses"), config)
                removed_text = f"{count} node address{'es' if count != 1 else ''} removed since the base revision ({shown})"
                kept = sum(iv.size for iv in subtract(subtract(merge(old), reserved), removed))  # (ones a Machine may hold)
                assert ctx.base is not None
                machines = machine_count(ctx.base.rendered, t.old.ref.namespace, cluster_name_of(t.old) or t.old.ref.name)
                if kept < machines:
                    yield object_finding(self, ctx, t.file, t.new, pointer,
                                         f"{removed_text}; the base revision runs {machines} Machine{'s' if machines != 1 else ''}, "
                                         f"each holding one of its addresses, and only {kept} of them remain, so IPAM rejects "
                                         "the update (pool addresses do not contain allocated addresses)",
                                         severity=Severity.ERROR,
                                         hint="keep the addresses in use and add new ones next to them; move Machines by "
                                              "rolling them out before removing addresses in a later change")
                    continue
                yield object_finding(self, ctx, t.file, t.new, pointer,
                                     f"{removed_text}; if a Machine holds one, IPAM rejects the update (pool addresses do not "
                                     "contain allocated addresses)",
                                     hint="check that no Machine uses the removed addresses (kubectl get ipaddresses -n <namespace>)")


RULE = IpPoolShrinkRule()
