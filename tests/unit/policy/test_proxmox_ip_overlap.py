"""proxmox-ip-overlap."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetgen.policy import PolicyContext, run_rules
from fleetgen.render.base import RenderResult
from fleetgen.spec.load import load_fleet

from .cases import context_from_yaml, kubevirt_cluster, proxmox_cluster, write_fleet


def test_proxmox_ip_overlap_vip_inside_other_range_reported_on_both_clusters() -> None:
    # either spec may be the one just edited: each gets a finding at its own entry, naming the other
    text = (proxmox_cluster("pve-a", host="10.10.10.45", addresses=["10.10.10.10-10.10.10.20"])
            + proxmox_cluster("pve-b", host="10.10.10.39", addresses=["10.10.10.40-10.10.10.50"]))
    on_a, on_b = run_rules(context_from_yaml(text), ["proxmox-ip-overlap"])
    assert on_a.pointer == "/spec/proxmox/controlPlaneEndpoint/host"
    assert "10.10.10.45 is inside 10.10.10.40-10.10.10.50, the node addresses of cluster clusters/pve-b" in on_a.message
    assert on_b.pointer == "/spec/proxmox/ipv4/addresses/0"
    assert "contains the control-plane endpoint 10.10.10.45 of cluster clusters/pve-a" in on_b.message
    assert on_a.position.line < on_b.position.line  # (pve-a comes first in the case file)


def test_proxmox_ip_overlap_range_overlap_reported_on_both_ranges() -> None:
    text = (proxmox_cluster("pve-a", host="10.10.10.9", addresses=["10.10.10.10-10.10.10.20"])
            + proxmox_cluster("pve-b", host="10.10.10.39", addresses=["10.10.10.40-10.10.10.50", "10.10.10.18-10.10.10.19"]))
    findings = run_rules(context_from_yaml(text), ["proxmox-ip-overlap"])
    assert [(f.pointer, f.message.split(" of cluster ")[0].split(": ", 1)[1]) for f in findings] == [
        ("/spec/proxmox/ipv4/addresses/0", "10.10.10.10-10.10.10.20 overlaps 10.10.10.18-10.10.10.19"),
        ("/spec/proxmox/ipv4/addresses/1", "10.10.10.18-10.10.10.19 overlaps 10.10.10.10-10.10.10.20"),
    ]


def test_proxmox_ip_overlap_compares_across_namespaces_on_one_bridge() -> None:
    text = proxmox_cluster("pve-a", namespace="team-a") + proxmox_cluster("pve-a", namespace="team-b", host="10.10.10.8")
    on_a, on_b = run_rules(context_from_yaml(text), ["proxmox-ip-overlap"])
    assert "of cluster team-b/pve-a (case.yaml:" in on_a.message
    assert "of cluster team-a/pve-a (case.yaml:" in on_b.message


def test_proxmox_ip_overlap_three_clusters_report_on_each_naming_the_two_others() -> None:
    text = (proxmox_cluster("a", host="10.10.10.9") + proxmox_cluster("b", host="10.10.10.8")
            + proxmox_cluster("c", host="10.10.10.7") + kubevirt_cluster())
    findings = run_rules(context_from_yaml(text), ["proxmox-ip-overlap"])
    assert [f.message.split(" of cluster ")[0] for f in findings] == [  # the same range in a, b and c
        "spec.proxmox.ipv4.addresses[0]: 10.10.10.10-10.10.10.20 overlaps 10.10.10.10-10.10.10.20"] * 3
    assert [[name for name in ("clusters/a ", "clusters/b ", "clusters/c ") if name in f.message] for f in findings] == [
        ["clusters/b ", "clusters/c "], ["clusters/a ", "clusters/c "], ["clusters/a ", "clusters/b "]]


def test_proxmox_ip_overlap_vip_shared_by_five_clusters_names_three_and_counts_the_rest() -> None:
    text = "".join(proxmox_cluster(n, addresses=[f"10.10.10.{20 + i}"]) for i, n in enumerate("abcde"))
    findings = run_rules(context_from_yaml(text), ["proxmox-ip-overlap"])
    assert len(findings) == 5
    assert findings[0].message.startswith("spec.proxmox.controlPlaneEndpoint.host: 10.10.10.9 is also the control-plane "
                                          "endpoint of cluster clusters/b (case.yaml:")
    assert findings[0].message.endswith(" and 1 more on bridge vmbr0; each cluster needs its own VIP")
    assert findings[0].message.count("cluster clusters/") == 3


def test_proxmox_ip_overlap_vip_equal_to_other_clusters_gateway_fails_on_the_vip_and_the_gateway() -> None:
    text = (proxmox_cluster("pve-a", gateway="10.10.10.254")
            + proxmox_cluster("pve-b", host="10.10.10.254", addresses=["10.10.10.40-10.10.10.50"], gateway="10.10.10.1"))
    on_a, on_b = run_rules(context_from_yaml(text), ["proxmox-ip-overlap"])  # (in file order: pve-a first)
    assert on_b.pointer == "/spec/proxmox/controlPlaneEndpoint/host"
    assert on_b.message.startswith("spec.proxmox.controlPlaneEndpoint.host: 10.10.10.254 is the gateway of cluster clusters/pve-a (case.yaml:")
    assert on_b.message.endswith("on bridge vmbr0; kube-vip would take over the gateway's address")
    assert on_a.pointer == "/spec/proxmox/ipv4/gateway"
    assert on_a.message.startswith("spec.proxmox.ipv4.gateway: 10.10.10.254 is also the control-plane endpoint of cluster "
                                   "clusters/pve-b (case.yaml:")


def test_proxmox_ip_overlap_vip_equal_to_own_gateway_left_to_vip_in_range() -> None:
    text = proxmox_cluster("pve-a") + proxmox_cluster("pve-b", host="10.10.10.1", addresses=["10.10.10.40-10.10.10.50"])
    assert run_rules(context_from_yaml(text), ["proxmox-ip-overlap"]) == []
    assert [f.rule_id for f in run_rules(context_from_yaml(text), ["proxmox-vip-in-range"])] == ["proxmox-vip-in-range"]


def test_proxmox_ip_overlap_different_bridges_pass() -> None:
    text = proxmox_cluster("pve-a") + proxmox_cluster("pve-b", bridge="vmbr1")
    assert run_rules(context_from_yaml(text), ["proxmox-ip-overlap"]) == []



def _naive_conflicts(clusters: list[tuple[int, list[tuple[int, int]]]]) -> set[tuple[int, str]]:
    """(cluster index, kind of conflict it is told about), over every ordered pair, the obvious O(n²) way."""
    out = set()
    for b, (b_vip, b_ranges) in enumerate(clusters):
        for a, (a_vip, a_ranges) in enumerate(clusters):
            if a == b:
                continue
            if any(lo <= a_hi and a_lo <= hi for lo, hi in b_ranges for a_lo, a_hi in a_ranges):
                out.add((b, "overlaps"))
            if any(lo <= a_vip <= hi for lo, hi in b_ranges):
                out.add((b, "contains"))
            if b_vip == a_vip:
                out.add((b, "also"))
            elif any(lo <= b_vip <= hi for lo, hi in a_ranges):
                out.add((b, "inside"))
    return out


def test_proxmox_ip_overlap_sweep_matches_pairwise_on_random_fleets() -> None:
    import random

    rng = random.Random(7)
    for _ in range(40):
        plain: list[tuple[int, list[tuple[int, int]]]] = []
        for _ in range(rng.randint(2, 7)):
            starts = [rng.randint(1, 55) for _ in range(rng.randint(1, 2))]
            plain.append((rng.randint(1, 60), [(lo, lo + rng.randint(0, 6)) for lo in starts]))
        text = "".join(proxmox_cluster(f"c{n:02d}", host=f"10.10.10.{vip}",
                                       addresses=[f"10.10.10.{lo}-10.10.10.{hi}" for lo, hi in ranges])
                       for n, (vip, ranges) in enumerate(plain))
        ctx = context_from_yaml(text)
        first_lines = [c.source.lookup("").line for c in ctx.fleet.clusters]  # clusters c00.. in document order
        got = set()
        for f in run_rules(ctx, ["proxmox-ip-overlap"]):
            index = max(i for i, line in enumerate(first_lines) if line <= f.position.line)
            kind = next(k for k in ("overlaps", "contains", "also", "inside") if f" {k} " in f.message)
            got.add((index, kind))
        assert got == _naive_conflicts(plain)


_SHARED = ("apiVersion: fleetgen.dev/v1alpha1\nkind: FleetConfig\ngitops: {repo: https://git.example.com/f.git}\n"
           "defaults:\n  spec:\n    proxmox:\n      ipv4:\n        addresses: [10.10.10.10-10.10.10.20]\n"
           "      controlPlaneEndpoint: {host: 10.10.10.9}\n")


@pytest.mark.parametrize("shared", ["node range", "endpoint"])
def test_proxmox_ip_overlap_value_from_defaults_in_several_clusters_is_one_finding(tmp_path: Path, shared: str) -> None:
    """Three clusters on one bridge inheriting one default: one finding at the default's line naming
    them, not one per pair of clusters naming each other."""
    def spec(name: str, own: str) -> str:
        if shared == "node range":  # (each its own endpoint)
            return proxmox_cluster(name, host=own).replace("      addresses:\n      - 10.10.10.10-10.10.10.20\n", "")
        return proxmox_cluster(name, addresses=[own]).replace("      host: 10.10.10.9\n", "")  # (each its own range)
    clusters = {f"{n}.yaml": spec(n, f"10.10.10.{30 + i}") for i, n in enumerate(["pve-a", "pve-b", "pve-c"])}
    fleet, problems = load_fleet(write_fleet(tmp_path, clusters=clusters, config=_SHARED))
    assert problems == []
    findings = run_rules(PolicyContext(fleet, RenderResult(())), ["proxmox-ip-overlap"])
    line = 8 if shared == "node range" else 9
    assert [str(f.position).rsplit(":", 1)[0] for f in findings] == [f"fleetgen.yaml:{line}"]
    (finding,) = findings
    assert "(from defaults, in 3 clusters: clusters/pve-a.yaml, clusters/pve-b.yaml, clusters/pve-c.yaml)" in finding.message
    assert "of each of these clusters on bridge vmbr0" in finding.message
    assert "in each cluster's own spec" in finding.hint


def test_proxmox_ip_overlap_range_holding_two_other_vips_is_one_finding_naming_both() -> None:
    text = (proxmox_cluster("a") + proxmox_cluster("b", host="10.10.10.15", addresses=["10.10.10.30"])
            + proxmox_cluster("c", host="10.10.10.16", addresses=["10.10.10.31"]))
    on_range = [f for f in run_rules(context_from_yaml(text), ["proxmox-ip-overlap"]) if f.pointer.endswith("/addresses/0")]
    assert [f.message.split(" (case.yaml")[0] for f in on_range] == [
        "spec.proxmox.ipv4.addresses[0]: 10.10.10.10-10.10.10.20 contains the control-plane endpoints 10.10.10.15 of "
        "cluster clusters/b"]
    assert "and 10.10.10.16 of cluster clusters/c (case.yaml:" in on_range[0].message
    assert on_range[0].message.endswith("on bridge vmbr0; IPAM would hand them to a node")
