"""proxmox-addresses-subnet."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml, proxmox_cluster


def test_proxmox_addresses_subnet_uses_lowest_address_like_ipam() -> None:
    # the lowest address (10.10.10.5, written second) defines the subnet, so the *first* entry is outside
    ctx = context_from_yaml(proxmox_cluster(addresses=["10.10.11.10-10.10.11.20", "10.10.10.5"], host="10.10.10.9"))
    [finding] = run_rules(ctx, ["proxmox-addresses-subnet"])
    assert finding.pointer == "/spec/proxmox/ipv4/addresses/0"
    assert "is not inside 10.10.10.0/24" in finding.message


def test_proxmox_addresses_subnet_cidr_larger_than_prefix_fails() -> None:
    ctx = context_from_yaml(proxmox_cluster(addresses=["10.10.10.0/23"], prefix=24))
    [finding] = run_rules(ctx, ["proxmox-addresses-subnet"])
    assert "10.10.10.0/23 is not inside 10.10.10.0/24" in finding.message


def test_proxmox_addresses_subnet_ipv6_entries_left_to_family_rule() -> None:
    ctx = context_from_yaml(proxmox_cluster(addresses=["10.10.10.10-10.10.10.20", "2001:db8::10"]))
    assert run_rules(ctx, ["proxmox-addresses-subnet"]) == []
