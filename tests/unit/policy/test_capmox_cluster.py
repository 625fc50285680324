"""capmox-cluster."""

from __future__ import annotations

import pytest

from fleetgen.policy import run_rules
from fleetgen.policy.rules.capmox_cluster import is_ip_or_hostname

from .cases import context_from_yaml


def pxc(spec: str) -> str:
    return ("apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2\nkind: ProxmoxCluster\n"
            f"metadata: {{name: pve-a, namespace: clusters}}\nspec:\n{spec}")


def messages(text: str) -> list[str]:
    return [f.message.split(": ", 1)[1] for f in run_rules(context_from_yaml(text), ["capmox-cluster"])]


@pytest.mark.parametrize(("host", "ok"), [
    ("10.0.0.1", True), ("2001:db8::1", True), ("api", True), ("api.example.com", True), ("API.Example.COM", True),
    ("api_server.local", False), ("-api.example.com", False), ("", False), (None, False),
], ids=["ipv4", "ipv6", "shortname", "fqdn", "upper", "underscore", "leading-dash", "empty", "none"])
def test_is_ip_or_hostname_mirrors_capmox(host: object, ok: bool) -> None:
    assert is_ip_or_hostname(host) is ok


def test_capmox_cluster_external_control_plane_skips_endpoint_check() -> None:
    spec = ("  externalManagedControlPlane: true\n  controlPlaneEndpoint: {host: '', port: 6443}\n"
            "  ipv4Config: {addresses: [10.0.0.10-10.0.0.20], prefix: 24, gateway: 10.0.0.1}\n")
    assert messages(pxc(spec)) == []


def test_capmox_cluster_ipv6_config_alone_is_enough() -> None:
    spec = ("  controlPlaneEndpoint: {host: 'fd00::9', port: 6443}\n"
            "  ipv6Config: {addresses: ['fd00::10-fd00::20'], prefix: 64, gateway: 'fd00::1'}\n")
    assert messages(pxc(spec)) == []


def test_capmox_cluster_ipv4_config_of_ipv6_addresses_is_not_called_mixed() -> None:
    spec = ("  controlPlaneEndpoint: {host: 10.0.0.9, port: 6443}\n"
            "  ipv4Config: {addresses: ['fd00::10-fd00::20'], prefix: 24, gateway: 10.0.0.1}\n")
    assert messages(pxc(spec)) == ["fd00::10-fd00::20 is IPv6 in ipv4Config; ipv4Config takes IPv4 addresses only"]
    spec = spec.replace("['fd00::10-fd00::20']", "[10.0.0.10-10.0.0.20, 'fd00::10-fd00::20']")
    assert messages(pxc(spec)) == ["fd00::10-fd00::20 is IPv6 in ipv4Config; provided addresses are of mixed IP families"]
