"""Tests for fleetgen.validate.budgets: size budgets over synthetic render results.

The fleet (fleetgen.yaml, one ClusterSpec, one addon) is a real repository in tmp_path loaded with
the real loader; the RenderResults are built directly from OutputFile/RenderedObject (data, not
mocks), so the budgets are tested without depending on the renderers.
"""

from __future__ import annotations

import base64
import random
from pathlib import Path
from typing import Any

import pytest

from fleetgen.findings import Position, Severity
from fleetgen.render.base import OutputFile, RenderedObject, RenderResult
from fleetgen.spec.load import Fleet, load_fleet
from fleetgen.validate.budgets import (
    CONFIGMAP_MAX_BYTES,
    FLEET_BUNDLE_ERROR_BYTES,
    FLEET_BUNDLE_WARN_BYTES,
    check_budgets,
    data_sizes,
    estimate_fleet_bundle,
    fleet_bundle_dirs,
)
from fleetgen.yamlio import dump_documents

CLUSTER = """\
apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata:
  name: kv-a
  labels: {cni: calico}
spec:
  hypervisor: kubevirt
  kubernetesVersion: v1.33.1
  controlPlane:
    replicas: 1
    machine: {cpus: 2, memory: 4Gi}
  kubevirt:
    image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1
"""

ADDON = """\
apiVersion: fleetgen.dev/v1alpha1
kind: Addon
metadata:
  name: big
spec:
  clusterSelector:
    matchLabels: {cni: calico}
  resources:
    - small.yaml
    - big.yaml
"""


def make_fleet(root: Path, agent: str = "fleet") -> Fleet:
    """A fleet repository with cluster kv-a (namespace clusters) and addon `big` (two resource files)."""
    (root / "clusters").mkdir(parents=True)
    (root / "crs" / "big").mkdir(parents=True)
    (root / "fleetgen.yaml").write_text(
        "apiVersion: fleetgen.dev/v1alpha1\nkind: FleetConfig\n"
        f"gitops: {{agent: {agent}, repo: https://git.example.com/fleet.git}}\n"
        "defaults: {metadata: {namespace: clusters}}\n")
    (root / "clusters" / "kv-a.yaml").write_text(CLUSTER)
    (root / "crs" / "big" / "addon.yaml").write_text(ADDON)
    (root / "crs" / "big" / "small.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    (root / "crs" / "big" / "big.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: y}\n")
    fleet, findings = load_fleet(root)
    assert findings == []
    return fleet


def noise(n: int, seed: int = 7) -> str:
    """n characters of incompressible-ish text (base64 of random bytes), deterministic."""
    raw = random.Random(seed).randbytes(n * 3 // 4 + 3)
    return base64.b64encode(raw).decode()[:n]


def configmap(name: str, data: dict[str, str], kind: str = "ConfigMap", field: str = "data") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "clusters"}, field: data}


def addon_object(fleet: Fleet, manifest: dict[str, Any], origin: dict[str, str] | None = None) -> RenderedObject:
    """A rendered CRS ConfigMap of addon `big`; origin maps /data/<key> to spec.resources[i]."""
    addon = fleet.addons[0]
    return RenderedObject(manifest, addon.source, origin or {"": ""})


def output(path: str, *objects: RenderedObject) -> OutputFile:
    return OutputFile(path, dump_documents([o.manifest for o in objects]).encode(), tuple(objects))


def tuples(findings: list) -> list[tuple[str, int, int, str, str]]:
    return [(f.position.file, f.position.line, f.position.col, f.rule_id, f.severity.value) for f in findings]


# --- configmap-size -----------------------------------------------------------------------------


def test_check_budgets_configmap_over_one_mib_reports_at_addon_resource_line(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    small = addon_object(fleet, configmap("big-0", {"small.yaml": "x"}), {"": "", "/data/small.yaml": "/spec/resources/0"})
    big = addon_object(fleet, configmap("big-1", {"small.yaml": "a" * 10, "big.yaml": "b" * CONFIGMAP_MAX_BYTES}),
                       {"": "", "/data/small.yaml": "/spec/resources/0", "/data/big.yaml": "/spec/resources/1"})
    rendered = RenderResult((output("addons/clusters/big/configmaps.yaml", small, big),))

    findings = check_budgets(fleet, rendered)

    assert tuples(findings) == [("crs/big/addon.yaml", 10, 7, "configmap-size", "error")]
    (finding,) = findings
    assert finding.pointer == "/data/big.yaml"
    assert finding.rendered == Position("fleet/addons/clusters/big/configmaps.yaml", 10, 1)  # after the 2nd "---"
    assert str(finding.object) == "ConfigMap clusters/big-1"
    assert "(1,048,586 bytes), over the 1 MiB (1,048,576 bytes) limit" in finding.message


@pytest.mark.parametrize(("size", "expected"), [(CONFIGMAP_MAX_BYTES, 0), (CONFIGMAP_MAX_BYTES + 1, 1)],
                         ids=["exactly-1-mib", "one-byte-over"])
def test_check_budgets_configmap_limit_boundary_is_inclusive(tmp_path: Path, size: int, expected: int) -> None:
    fleet = make_fleet(tmp_path, agent="flux")
    obj = addon_object(fleet, configmap("edge", {"big.yaml": "z" * size}))
    findings = check_budgets(fleet, RenderResult((output("addons/clusters/big/cm.yaml", obj),)))
    assert [f.rule_id for f in findings] == ["configmap-size"] * expected


def test_check_budgets_configmap_without_origin_falls_back_to_addon_yaml(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, agent="flux")
    obj = addon_object(fleet, configmap("big-0", {"big.yaml": "é" * (CONFIGMAP_MAX_BYTES // 2 + 1)}))  # 2 bytes each
    findings = check_budgets(fleet, RenderResult((output("addons/clusters/big/cm.yaml", obj),)))
    assert tuples(findings) == [("crs/big/addon.yaml", 1, 1, "configmap-size", "error")]


def test_check_budgets_secret_counts_decoded_bytes(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, agent="flux")
    under = base64.b64encode(b"\0" * 1_000_000).decode()  # 1.33 MB encoded, 1,000,000 decoded: fits
    over = base64.b64encode(b"\0" * 1_100_000).decode()
    ok = addon_object(fleet, configmap("ok", {"k": under}, kind="Secret"))
    bad = addon_object(fleet, configmap("bad", {"k": over}, kind="Secret"))
    findings = check_budgets(fleet, RenderResult((output("addons/clusters/big/s.yaml", ok, bad),)))
    assert [(f.rule_id, str(f.object)) for f in findings] == [("configmap-size", "Secret clusters/bad")]


def test_data_sizes_binary_data_and_string_data_counted_as_api_server_does() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "héllo"}, "binaryData": {"b": base64.b64encode(b"123").decode()}}
    assert data_sizes(cm) == {"/data/a": 6, "/binaryData/b": 3}
    secret = {"apiVersion": "v1", "kind": "Secret", "data": {"k": base64.b64encode(b"old").decode()},
              "stringData": {"k": "newer", "x/y": "1"}}
    assert data_sizes(secret) == {"/stringData/k": 5, "/stringData/x~1y": 1}
    assert data_sizes({"apiVersion": "apps/v1", "kind": "Deployment"}) == {}


# --- last-applied-size --------------------------------------------------------------------------


def test_check_budgets_large_object_is_silent_without_client_side_apply(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, agent="flux")
    obj = addon_object(fleet, configmap("big-0", {"big.yaml": "c" * 300_000}), {"": "", "/data/big.yaml": "/spec/resources/1"})
    rendered = RenderResult((output("addons/clusters/big/cm.yaml", obj),))
    assert check_budgets(fleet, rendered) == []


def test_check_budgets_large_object_with_client_side_apply_warns(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, agent="flux")
    small = addon_object(fleet, configmap("big-0", {"small.yaml": "c" * 262_000}))  # JSON just under 262,144
    big = addon_object(fleet, configmap("big-1", {"big.yaml": "c" * 262_144}), {"": "", "/data/big.yaml": "/spec/resources/1"})
    rendered = RenderResult((output("addons/clusters/big/cm.yaml", small, big),))
    findings = check_budgets(fleet, rendered, client_side_apply=True)
    assert tuples(findings) == [("crs/big/addon.yaml", 10, 7, "last-applied-size", "warning")]
    assert findings[0].rendered == Position("fleet/addons/clusters/big/cm.yaml", 10, 1)
    assert "--server-side" in findings[0].hint


# --- fleet-bundle-size --------------------------------------------------------------------------


def cluster_bundle(fleet: Fleet, payload_chars: int) -> RenderResult:
    """A cluster bundle fleet/clusters/clusters/kv-a/ with one object carrying `payload_chars` of noise."""
    cluster = fleet.clusters[0]
    obj = RenderedObject(configmap("kv-a-extra", {"blob": noise(payload_chars)}), cluster.source, {"": ""}, cluster="kv-a")
    cluster_obj = RenderedObject({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
                                  "metadata": {"name": "kv-a", "namespace": "clusters"}}, cluster.source, cluster="kv-a")
    return RenderResult((
        output("clusters/clusters/kv-a/cluster.yaml", cluster_obj),
        output("clusters/clusters/kv-a/extra.yaml", obj),
        OutputFile("clusters/clusters/kv-a/fleet.yaml", b"namespace: clusters\n"),
    ), clusters=("kv-a",))


@pytest.mark.parametrize(("payload_chars", "severity"), [
    (20_000, None), (400_000, "warning"), (700_000, "error"),
], ids=["small", "over-700-kib", "over-1-mib"])
def test_check_budgets_fleet_cluster_bundle_reports_at_cluster_spec(tmp_path: Path, payload_chars: int,
                                                                      severity: str | None) -> None:
    fleet = make_fleet(tmp_path)
    rendered = cluster_bundle(fleet, payload_chars)
    estimate = estimate_fleet_bundle("clusters/clusters/kv-a", rendered.files)
    band = (None if estimate.compressed_bytes <= FLEET_BUNDLE_WARN_BYTES
            else "warning" if estimate.compressed_bytes <= FLEET_BUNDLE_ERROR_BYTES else "error")
    assert band == severity  # the synthetic payload lands in the intended band

    findings = check_budgets(fleet, rendered)

    if severity is None:
        assert findings == []
        return
    assert tuples(findings) == [("clusters/kv-a.yaml", 4, 3, "fleet-bundle-size", severity)]
    assert findings[0].rendered == Position("fleet/clusters/clusters/kv-a")
    assert findings[0].message.startswith("Fleet bundle fleet/clusters/clusters/kv-a/ (3 files,")


def test_check_budgets_flux_agent_skips_fleet_bundle_size(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, agent="flux")
    assert check_budgets(fleet, cluster_bundle(fleet, 700_000)) == []


def test_estimate_fleet_bundle_compresses_only_from_one_million_bytes(tmp_path: Path) -> None:
    small = OutputFile("addons/ns/a/x.yaml", b"a: 1\n")
    est = estimate_fleet_bundle("addons/ns/a", [small])
    assert est.bundle_bytes == est.json_bytes < 1_000_000
    text = ("key: value-" + "x" * 50 + "\n") * 20_000  # 1.24 MB of repetitive YAML
    big = OutputFile("addons/ns/a/big.yaml", text.encode())
    est = estimate_fleet_bundle("addons/ns/a", [big])
    assert est.json_bytes > 1_000_000
    assert est.bundle_bytes < est.json_bytes // 50  # stored gzip+base64
    assert est.helm_release_bytes > est.gzip_bytes  # the release holds every file twice


def test_fleet_bundle_dirs_groups_by_fleet_yaml_then_layout() -> None:
    files = tuple(OutputFile(p, b"") for p in (
        "addons/ns/calico/fleet.yaml", "addons/ns/calico/cm/part-0.yaml",
        "clusters/ns/kv-a/cluster.yaml", "clusters/ns/kv-a/workers/md-0.yaml",
        "gitops/gitrepo.yaml",
    ))
    groups = fleet_bundle_dirs(RenderResult(files))
    assert {k: [f.path for f in v] for k, v in groups.items()} == {
        "addons/ns/calico": ["addons/ns/calico/cm/part-0.yaml", "addons/ns/calico/fleet.yaml"],
        "clusters/ns/kv-a": ["clusters/ns/kv-a/cluster.yaml", "clusters/ns/kv-a/workers/md-0.yaml"],
        "gitops": ["gitops/gitrepo.yaml"],
    }


def test_check_budgets_addon_bundle_reports_at_largest_configmap_key(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    chunks = [addon_object(fleet, configmap(f"big-{i}", {"big.yaml": noise(240_000, seed=i)}),
                           {"": "", "/data/big.yaml": "/spec/resources/1"}) for i in range(3)]
    rendered = RenderResult(tuple(output(f"addons/clusters/big/part-{i}.yaml", c) for i, c in enumerate(chunks)))
    findings = check_budgets(fleet, rendered)
    assert tuples(findings) == [("crs/big/addon.yaml", 10, 7, "fleet-bundle-size", "error")]
    assert findings[0].severity is Severity.ERROR
