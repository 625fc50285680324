"""proxmox-endpoint-in-subnet."""

from __future__ import annotations

from fleetgen.findings import Severity
from fleetgen.policy import run_rules

from .cases import context_from_yaml, proxmox_cluster


def test_proxmox_endpoint_in_subnet_outside_is_a_warning() -> None:
    [finding] = run_rules(context_from_yaml(proxmox_cluster(host="192.168.1.5")), ["proxmox-endpoint-in-subnet"])
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith("spec.proxmox.controlPlaneEndpoint.host: 192.168.1.5 is outside the node subnet 10.10.10.0/24")


def test_proxmox_endpoint_in_subnet_ipv6_endpoint_is_left_to_family_rule() -> None:
    assert run_rules(context_from_yaml(proxmox_cluster(host="2001:db8::9")), ["proxmox-endpoint-in-subnet"]) == []
