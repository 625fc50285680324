"""proxmox-vip-in-range."""

from __future__ import annotations

import pytest

from fleetgen.policy import run_rules

from .cases import context_from_yaml, kubevirt_cluster, proxmox_cluster


@pytest.mark.parametrize("addresses", [["10.10.10.0/28"], ["10.10.10.9"], ["10.10.10.30", "10.10.10.1-10.10.10.9"]],
                         ids=["cidr", "single-ip", "second-entry-range-end"])
def test_proxmox_vip_in_range_any_notation_containing_vip_fails(addresses: list[str]) -> None:
    [finding] = run_rules(context_from_yaml(proxmox_cluster(addresses=addresses)), ["proxmox-vip-in-range"])
    assert finding.pointer == "/spec/proxmox/controlPlaneEndpoint/host"
    assert "addresses may not contain the endpoint IP (CAPMOX)" in finding.message


def test_proxmox_vip_in_range_adjacent_vip_passes() -> None:
    ctx = context_from_yaml(proxmox_cluster(host="10.10.10.21") + kubevirt_cluster())
    assert run_rules(ctx, ["proxmox-vip-in-range"]) == []


def test_proxmox_vip_in_range_vip_equal_to_gateway_fails() -> None:
    [finding] = run_rules(context_from_yaml(proxmox_cluster(host="10.10.10.1", gateway="10.10.10.1")),
                          ["proxmox-vip-in-range"])
    assert finding.pointer == "/spec/proxmox/controlPlaneEndpoint/host"
    assert finding.message == "spec.proxmox.controlPlaneEndpoint.host: 10.10.10.1 is spec.proxmox.ipv4.gateway; kube-vip would take over the gateway's address"
