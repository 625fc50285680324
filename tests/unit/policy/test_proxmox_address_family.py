"""proxmox-address-family."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml, proxmox_cluster


def test_proxmox_address_family_ipv6_endpoint_fails() -> None:
    [finding] = run_rules(context_from_yaml(proxmox_cluster(host="2001:db8::9")), ["proxmox-address-family"])
    assert finding.pointer == "/spec/proxmox/controlPlaneEndpoint/host"
    assert "is IPv6 but the node network (spec.proxmox.ipv4) is IPv4" in finding.message


def test_proxmox_address_family_ipv6_cidr_entry_fails() -> None:
    ctx = context_from_yaml(proxmox_cluster(addresses=["10.10.10.10-10.10.10.20", "2001:db8::/120"]))
    [finding] = run_rules(ctx, ["proxmox-address-family"])
    assert finding.pointer == "/spec/proxmox/ipv4/addresses/1"
    assert "provided addresses are of mixed IP families" in finding.message


def test_proxmox_address_family_all_ipv4_passes() -> None:
    assert run_rules(context_from_yaml(proxmox_cluster()), ["proxmox-address-family"]) == []
