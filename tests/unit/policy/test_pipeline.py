"""Policy rules on real loaded and rendered fleets: positions through the renderers' origin maps."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path

from fleetgen.findings import Severity
from fleetgen.policy import PolicyContext, run_rules
from fleetgen.render import render_fleet
from fleetgen.render.base import OutputFile, RenderResult
from fleetgen.spec.load import load_fleet

REPO_ROOT = Path(__file__).resolve().parents[3]


def _example_copy(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    root.mkdir()
    shutil.copy2(REPO_ROOT / "fleetgen.yaml", root / "fleetgen.yaml")
    shutil.copytree(REPO_ROOT / "clusters", root / "clusters")
    shutil.copytree(REPO_ROOT / "crs", root / "crs")
    return root


def _context(root: Path, base: PolicyContext | None = None) -> PolicyContext:
    fleet, findings = load_fleet(root)
    assert findings == []
    return PolicyContext(fleet, render_fleet(fleet), base)


def _replace_manifest(result: RenderResult, kind: str, name: str, edit) -> RenderResult:  # type: ignore[no-untyped-def]
    files = []
    for f in result.files:
        objects = []
        for o in f.objects:
            if o.manifest.get("kind") == kind and o.ref.name == name:
                manifest = copy.deepcopy(o.manifest)
                edit(manifest)
                o = dataclasses.replace(o, manifest=manifest)
            objects.append(o)
        files.append(OutputFile(f.path, f.content, tuple(objects)))
    return dataclasses.replace(result, files=tuple(files))


def test_example_fleet_has_no_findings() -> None:
    assert [str(f) for f in run_rules(_context(REPO_ROOT))] == []


def test_example_fleet_against_itself_as_base_has_no_findings() -> None:
    ctx = _context(REPO_ROOT)
    assert run_rules(PolicyContext(ctx.fleet, ctx.rendered, ctx)) == []


def test_pipeline_even_replicas_reported_once_at_spec_line(tmp_path: Path) -> None:
    root = _example_copy(tmp_path)
    spec = root / "clusters/kubevirt/kv-demo.yaml"
    spec.write_text(spec.read_text().replace("    replicas: 1\n", "    replicas: 2\n", 1))
    findings = run_rules(_context(root))
    assert [(f.rule_id, str(f.position)) for f in findings] == [("cp-replicas-odd", "clusters/kubevirt/kv-demo.yaml:15:5")]
    assert findings[0].message == "spec.controlPlane.replicas: must be odd for stacked etcd, got 2"


def test_pipeline_rendered_finding_points_at_spec_and_output(tmp_path: Path) -> None:
    ctx = _context(REPO_ROOT)

    def break_version(manifest: dict) -> None:
        manifest["spec"]["template"]["spec"]["version"] = "1.33.1"

    rendered = _replace_manifest(ctx.rendered, "MachineDeployment", "kv-demo-md-0", break_version)
    findings = run_rules(PolicyContext(ctx.fleet, rendered), ["md-webhook"])
    assert len(findings) == 1
    finding = findings[0]
    assert finding.object is not None and finding.object.name == "kv-demo-md-0"
    assert finding.pointer == "/spec/template/spec/version"
    # origin maps the MachineDeployment to its pool (or the version to kubernetesVersion)
    assert finding.position.file in ("clusters/kubevirt/kv-demo.yaml", "fleetgen.yaml")
    assert finding.rendered is not None and finding.rendered.file.startswith("fleet/clusters/")
    assert finding.rendered.line > 0


def test_pipeline_transition_detects_template_change_without_rename(tmp_path: Path) -> None:
    base = _context(REPO_ROOT)
    root = _example_copy(tmp_path)
    spec = root / "clusters/proxmox/pve-demo.yaml"
    spec.write_text(spec.read_text().replace("dnsServers: [10.10.10.1]", "dnsServers: [10.10.10.2]"))
    head = _context(root, base)
    # the renderer rotates template names on content changes, so nothing immutable is touched
    findings = [f for f in run_rules(head) if f.severity is Severity.ERROR]
    assert findings == []


def test_pipeline_upgrade_skipping_a_minor_is_reported_at_kubernetes_version(tmp_path: Path) -> None:
    base = _context(REPO_ROOT)
    root = _example_copy(tmp_path)
    config = root / "fleetgen.yaml"
    config.write_text(config.read_text().replace("kubernetesVersion: v1.33.1", "kubernetesVersion: v1.35.0"))
    for spec in (root / "clusters").rglob("*.yaml"):
        spec.write_text(spec.read_text().replace("container-disk:v1.33.1", "container-disk:v1.35.0"))
    findings = run_rules(_context(root, base), ["k8s-upgrade-skip"])
    # one default, one problem: one finding for both control planes
    (finding,) = findings
    assert finding.message.startswith("spec.version of KubeadmControlPlane clusters/kv-demo-control-plane and 1 more "
                                      "(from defaults): ")
    assert finding.message.endswith("upgrade one minor version per change (v1.34.x next)")
