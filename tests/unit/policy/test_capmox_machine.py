"""capmox-machine."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml


def template(spec: str, kind: str = "ProxmoxMachineTemplate") -> str:
    body = "  template:\n    spec:\n" + "".join("      " + line + "\n" for line in spec.splitlines())
    if kind == "ProxmoxMachine":
        body = "".join("  " + line + "\n" for line in spec.splitlines())
    return (f"apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2\nkind: {kind}\n"
            f"metadata: {{name: m, namespace: clusters}}\nspec:\n{body}")


def findings(text: str) -> list[tuple[str, str]]:
    return [(f.pointer, f.message.split(": ", 1)[1]) for f in run_rules(context_from_yaml(text), ["capmox-machine"])]


def test_capmox_machine_provider_id_cannot_be_set_in_templates() -> None:
    assert findings(template("providerID: proxmox://x")) == [("/spec/template/spec/providerID", "cannot be set in templates")]


def test_capmox_machine_proxmox_machine_checked_at_spec() -> None:
    text = template("network:\n  networkDevices:\n    - {name: net1, bridge: vmbr0}", kind="ProxmoxMachine")
    [(pointer, message)] = findings(text)
    assert pointer == "/spec/network/networkDevices/0/name"
    assert message.startswith("Non-consecutive proxmox interface name 'net1'")


def test_capmox_machine_link_mtu_routing_policy_and_ipv6_defaults() -> None:
    devices = ("network:\n  networkDevices:\n"
               "    - {name: net0, bridge: vmbr0, defaultIPv6: true, linkMtu: 1279, routingPolicy: [{table: 100}, {priority: 5}]}\n"
               "    - {name: net1, bridge: vmbr1, defaultIPv6: true, mtu: 1}")
    assert sorted(findings(template(devices))) == [
        ("/spec/template/spec/network/networkDevices/0/linkMtu", "mtu must be at least 1280, but was 1279"),
        ("/spec/template/spec/network/networkDevices/0/routingPolicy/1", "routing policy [1] requires a table"),
        ("/spec/template/spec/network/networkDevices/1/defaultIPv6",
         "More than one default IPv4/IPv6 interface in NetworkDevices: IPv6 on devices [0, 1]"),
    ]


def test_capmox_machine_unsorted_but_consecutive_names_pass() -> None:
    devices = "network:\n  networkDevices:\n    - {name: net1, bridge: vmbr1}\n    - {name: net0, bridge: vmbr0}"
    assert findings(template(devices)) == []


def test_capmox_machine_without_network_passes() -> None:
    assert findings(template("numCores: 2")) == []
