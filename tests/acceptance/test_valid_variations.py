"""Specs that upstream accepts must produce no finding: the example fleet with one valid edit.

Each case makes one edit the API server, the CAPI/CAPK/CAPMOX webhooks and the pinned CRDs all
accept, but that the example fleet does not use, then runs `fleetgen validate` (exit 0, no error or
warning) and `fleetgen render` (exit 0, the edited value in the rendered object). A false positive
here blocks a valid pull request, which is as bad as letting a broken one through.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

KV = "clusters/kubevirt/kv-demo.yaml"
PVE = "clusters/proxmox/pve-demo.yaml"
BASELINE = "crs/baseline/addon.yaml"
CLUSTER = "fleet/clusters/clusters/{}/cluster.yaml"

#: (id, [(file, old text, new text), ...], (rendered file, text it must contain) or None).
CASES = [
    # StorageClass names are DNS subdomains (apimachinery IsDNS1123Subdomain); the DataVolume's
    # storageClassName is a plain string in the CDI schema.
    ("storage-class-dns-subdomain",
     [(KV, "    machine: {cpus: 2, memory: 4Gi}\n  workers:", "    machine: {cpus: 2, memory: 4Gi, diskSize: 30Gi}\n  workers:"),
      (KV, "    controlPlaneServiceType: ClusterIP\n", "    controlPlaneServiceType: ClusterIP\n    storageClass: csi.ceph.rbd\n")],
     (CLUSTER.format("kv-demo"), "storageClassName: csi.ceph.rbd")),
    # Secret names are DNS subdomains; CAPMOX credentialsRef.name is a plain string.
    ("credentials-secret-dns-subdomain",
     [(PVE, "    allowedNodes: [pve1]\n",
       "    allowedNodes: [pve1]\n    credentialsRef: {name: pve.credentials.prod, namespace: capmox-system}\n")],
     (CLUSTER.format("pve-demo"), "name: pve.credentials.prod")),
    # A taint value is a label value, and a label value may be empty (ValidateTaints).
    ("taint-empty-value",
     [(KV, "      replicas: 3\n", "      replicas: 3\n      taints: [{key: dedicated, value: \"\", effect: NoSchedule}]\n")],
     (CLUSTER.format("kv-demo"), "key: dedicated")),
    # The rendered Cluster carries cluster.x-k8s.io/cluster-name, so an addon may select on it.
    ("addon-selects-on-cluster-name",
     [(BASELINE, "      fleetgen.dev/baseline: enabled\n", "      cluster.x-k8s.io/cluster-name: kv-demo\n")],
     None),
    # DESIGN.md's ClusterSpec writes replicas next to autoscaling ("then replicas is not rendered"):
    # valid; the MachineDeployment carries the autoscaler's annotations instead.
    ("replicas-next-to-autoscaling",
     [(KV, "      replicas: 3\n", "      replicas: 3\n      autoscaling: {minReplicas: 1, maxReplicas: 6}\n")],
     (CLUSTER.format("kv-demo"), "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size: '6'")),
]


def _edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(("case", "edits", "rendered"), CASES, ids=[c[0] for c in CASES])
def test_valid_edit_gives_no_finding(fleet_repo: Path, case: str, edits: list[tuple[str, str, str]],
                                     rendered: tuple[str, str] | None) -> None:
    for rel, old, new in edits:
        _edit(fleet_repo, rel, old, new)

    result = run_cli("validate", "--fail-on", "warning", cwd=fleet_repo)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].endswith("errors: 0, warnings: 0"), result.stdout

    result = run_cli("render", cwd=fleet_repo)
    assert result.exit_code == 0, result.stdout + result.stderr
    if rendered is not None:
        path, needle = rendered
        assert needle in (fleet_repo / path).read_text()
