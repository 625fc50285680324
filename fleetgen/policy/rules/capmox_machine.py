"""capmox-machine: ProxmoxMachine webhook rules, run on ProxmoxMachineTemplates too.

CAPMOX validates network devices only on ProxmoxMachine objects, i.e. when CAPI clones a Machine
from the template during a scale-up or rollout; the ProxmoxMachineTemplate webhook does not look
at them. A bad template therefore merges and applies cleanly and fails later, one Machine at a
time. This rule runs the ProxmoxMachine rules on `spec.template.spec` of every rendered
ProxmoxMachineTemplate (and on `spec` of any rendered ProxmoxMachine):

* `network.networkDevices` sorted by name must be `net0, net1, ...` without gaps ("Non-consecutive
  proxmox interface name"). The webhook sorts the names as strings, so with eleven or more
  devices `net10` sorts before `net2` and the webhook rejects even a gap-free list;
* at most one device has `defaultIPv4: true` and at most one `defaultIPv6: true` ("More than one
  default IPv4/IPv6 interface in NetworkDevices");
* `mtu` is 1 (inherit the bridge's) or at least 1280 ("mtu must be at least 1280 or 1"), and
  `linkMtu` at least 1280 ("mtu must be at least 1280");
* every `routingPolicy` entry has a `table` ("routing policy [i] requires a table");
* templates do not set `providerID` ("cannot be set in templates").

Severity: error.

Source:
    ionos-cloud/cluster-api-provider-proxmox v0.9.0, internal/webhook/proxmoxmachine_webhook.go
    (`validateNetworks`, `validateNetworkDeviceMTU`, `validateInterfaceConfigMTU`,
    `validateRoutingPolicy`) and internal/webhook/proxmoxmachinetemplate_webhook.go.

Failing example::

    apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2
    kind: ProxmoxMachineTemplate
    spec:
      template:
        spec:
          network:
            networkDevices:
              - {name: net0, bridge: vmbr0, model: virtio, mtu: 1000}
              - {name: net2, bridge: vmbr1, model: virtio}           # net1 is missing

Passing example::

    apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2
    kind: ProxmoxMachineTemplate
    spec:
      template:
        spec:
          network:
            networkDevices:
              - {name: net0, bridge: vmbr0, model: virtio, mtu: 1}
              - {name: net1, bridge: vmbr1, model: virtio}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.objects import get, objects_of_kind

INFRA_GROUP = "infrastructure.cluster.x-k8s.io"
_NET_NAME = re.compile(r"^net([0-9]+)$")


def _net_number(name: str) -> int:
    """N of `netN`, or -1 for another name (the CRD pattern forbids those)."""
    m = _NET_NAME.match(name)
    return int(m.group(1)) if m else -1


class CapmoxMachineRule:
    """ProxmoxMachineTemplate machine specs pass the ProxmoxMachine webhook."""

    id = "capmox-machine"
    severity = Severity.ERROR
    summary = "Proxmox machine templates must pass the ProxmoxMachine webhook (consecutive netN, one default device, MTU)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per ProxmoxMachine webhook rule a rendered machine spec breaks."""
        for file, obj in objects_of_kind(ctx.rendered, "ProxmoxMachineTemplate", "ProxmoxMachine", group=INFRA_GROUP):
            is_template = obj.manifest.get("kind") == "ProxmoxMachineTemplate"
            base = "/spec/template/spec" if is_template else "/spec"
            spec = get(obj.manifest, base)
            if not isinstance(spec, dict):
                continue

            def finding(pointer: str, problem: str, file=file, obj=obj) -> Finding:
                return object_finding(self, ctx, file, obj, pointer, problem)

            if is_template and spec.get("providerID"):
                yield finding(f"{base}/providerID", "cannot be set in templates")
            devices = get(spec, "/network/networkDevices") or []
            if not isinstance(devices, list):
                continue
            yield from self._devices(devices, f"{base}/network/networkDevices", finding)

    def _devices(self, devices: list[Any], pointer: str, finding: Callable[[str, str], Finding]) -> Iterator[Finding]:
        named = [(str(d.get("name", "")), i) for i, d in enumerate(devices) if isinstance(d, dict)]
        in_order = sorted(named)  # strings, as the webhook's strings.Compare sort
        for position, (name, index) in enumerate(in_order):
            offset = _net_number(name)
            if offset != position:
                numbers = sorted(_net_number(n) for n, _ in named)
                if numbers == list(range(len(numbers))):
                    why = (f"the webhook sorts names as strings, so with {len(numbers)} devices {name} lands at position "
                           f"{position}; use at most 10 devices (net0..net9)")
                else:
                    why = f"expected net{position} at position {position} of the sorted names {[n for n, _ in in_order]}"
                yield finding(f"{pointer}/{index}/name", f"Non-consecutive proxmox interface name {name!r}: {why}")
                break
        for family in ("IPv4", "IPv6"):
            defaults = [i for i, d in enumerate(devices) if isinstance(d, dict) and d.get(f"default{family}") is True]
            if len(defaults) > 1:
                yield finding(f"{pointer}/{defaults[1]}/default{family}",
                              f"More than one default IPv4/IPv6 interface in NetworkDevices: {family} on devices {defaults}")
        for i, device in enumerate(devices):
            if not isinstance(device, dict):
                continue
            mtu = device.get("mtu")
            if isinstance(mtu, int) and mtu != 1 and mtu < 1280:
                yield finding(f"{pointer}/{i}/mtu", f"mtu must be at least 1280 or 1, but was {mtu}")
            link_mtu = device.get("linkMtu")
            if isinstance(link_mtu, int) and link_mtu < 1280:
                yield finding(f"{pointer}/{i}/linkMtu", f"mtu must be at least 1280, but was {link_mtu}")
            for j, policy in enumerate(device.get("routingPolicy") or []):
                if isinstance(policy, dict) and policy.get("table") is None:
                    yield finding(f"{pointer}/{i}/routingPolicy/{j}", f"routing policy [{j}] requires a table")


RULE = CapmoxMachineRule()
