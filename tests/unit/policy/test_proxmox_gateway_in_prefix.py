"""proxmox-gateway-in-prefix."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml, proxmox_cluster


def test_proxmox_gateway_in_prefix_gateway_outside_ranges_but_in_subnet_passes() -> None:
    ctx = context_from_yaml(proxmox_cluster(gateway="10.10.10.254"))
    assert run_rules(ctx, ["proxmox-gateway-in-prefix"]) == []


def test_proxmox_gateway_in_prefix_other_family_is_left_to_family_rule() -> None:
    ctx = context_from_yaml(proxmox_cluster(gateway="2001:db8::1"))
    assert run_rules(ctx, ["proxmox-gateway-in-prefix"]) == []


def test_proxmox_gateway_in_prefix_subnet_from_lowest_address() -> None:
    ctx = context_from_yaml(proxmox_cluster(addresses=["10.10.11.10-10.10.11.20", "10.10.10.200"], prefix=23,
                                            host="10.10.10.9", gateway="10.10.12.1"))
    [finding] = run_rules(ctx, ["proxmox-gateway-in-prefix"])
    assert "outside the node subnet 10.10.10.0/23" in finding.message
