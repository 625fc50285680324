"""Loading fleet repositories: defaults, positions, and one finding per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetgen.errors import ConfigError
from fleetgen.spec.load import deep_merge, load_fleet

CONFIG = """apiVersion: fleetgen.dev/v1alpha1
kind: FleetConfig
gitops:
  repo: https://git.example.com/fleet.git
defaults:
  metadata:
    namespace: clusters
  spec:
    kubernetesVersion: v1.33.1
"""

SPEC = """apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata:
  name: {name}
spec:
  hypervisor: kubevirt
  controlPlane:
    replicas: 1
    machine: {{cpus: 2, memory: 4Gi}}
  workers:
    - name: md-0
      replicas: 3
      machine: {{cpus: 2, memory: 4Gi}}
  kubevirt:
    image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1
"""


def _repo(tmp_path: Path, specs: dict[str, str], config: str = CONFIG) -> Path:
    (tmp_path / "fleetgen.yaml").write_text(config)
    for rel, text in specs.items():
        p = tmp_path / "clusters" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def _problems(tmp_path: Path, text: str) -> list[tuple[str, int, str, str]]:
    fleet, findings = load_fleet(_repo(tmp_path, {"a.yaml": text}))
    assert fleet.clusters == ()
    return [(f.position.file, f.position.line, f.rule_id, f.message) for f in findings]


def test_load_fleet_defaults_merged_and_positioned_in_config(tmp_path: Path) -> None:
    fleet, findings = load_fleet(_repo(tmp_path, {"a.yaml": SPEC.format(name="a")}))
    assert findings == []
    (cluster,) = fleet.clusters
    assert cluster.namespace == "clusters"
    assert cluster.spec.spec.kubernetes_version == "v1.33.1"
    pos = cluster.source.lookup("/spec/kubernetesVersion")
    assert (pos.file, pos.line) == ("fleetgen.yaml", 9)
    assert cluster.source.lookup("/spec/workers/0/replicas").line == 12


def test_load_fleet_spec_overrides_defaults(tmp_path: Path) -> None:
    text = SPEC.format(name="a").replace("  hypervisor: kubevirt\n", "  hypervisor: kubevirt\n  kubernetesVersion: v1.32.4\n")
    fleet, _ = load_fleet(_repo(tmp_path, {"a.yaml": text}))
    assert fleet.clusters[0].spec.spec.kubernetes_version == "v1.32.4"
    assert fleet.clusters[0].source.lookup("/spec/kubernetesVersion").file == "clusters/a.yaml"


def test_load_fleet_unknown_field_suggests_spelling(tmp_path: Path) -> None:
    text = SPEC.format(name="a").replace("      replicas: 3", "      replcas: 3")
    assert _problems(tmp_path, text) == [
        ("clusters/a.yaml", 12, "spec", "spec.workers[0].replcas: unknown field 'replcas'; did you mean 'replicas'?"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("memory: 4Gi}\n  kubevirt", "memory: 4GB}\n  kubevirt", 13,
         "spec.workers[0].machine.memory: '4GB' is not a Kubernetes quantity; write e.g. 4Gi or 512Mi (binary) or 4G (decimal)"),
        ("replicas: 3", "replicas: -1", 12, "spec.workers[0].replicas: input should be greater than or equal to 0, got -1"),
        ("replicas: 3", 'replicas: "3"', 12, "spec.workers[0].replicas: input should be a valid integer, got '3'"),
        ("hypervisor: kubevirt", "hypervisor: vmware", 6, "spec.hypervisor: input should be 'kubevirt' or 'proxmox', got 'vmware'"),
        ("  name: a\n", "  name: ../../etc\n", 4,
         "metadata.name: '../../etc' is not an RFC 1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit"),
        ("  kubevirt:\n    image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1\n", "", 5,
         "spec: hypervisor is 'kubevirt' but the spec.kubevirt block is missing"),
        ("replicas: 3", "replicas: true", 12, "spec.workers[0].replicas: input should be a valid integer, got true"),
        ("  name: a\n", "  name: a\n  labels: ~\n", 5, "metadata.labels: expected a mapping, got null"),
        ("  hypervisor: kubevirt\n", "  hypervisor: kubevirt\n  kubernetesVersion: v1.33.1-rc..1\n", 7,
         "spec.kubernetesVersion: 'v1.33.1-rc..1' is not a Kubernetes version; write it as semver with a leading v, e.g. v1.33.1"),
    ],
    ids=["quantity-gb", "negative", "string-int", "unknown-hypervisor", "path-traversal-name", "missing-hypervisor-block",
         "bool-as-yaml", "null-as-yaml", "empty-pre-release-identifier"],
)
def test_load_fleet_bad_value_one_finding_at_line(tmp_path: Path, old: str, new: str, line: int, message: str) -> None:
    text = SPEC.format(name="a")
    assert old in text
    assert _problems(tmp_path, text.replace(old, new)) == [("clusters/a.yaml", line, "spec", message)]


def test_load_fleet_missing_required_field_points_at_parent(tmp_path: Path) -> None:
    text = SPEC.format(name="a").replace("    replicas: 1\n", "")
    assert _problems(tmp_path, text) == [("clusters/a.yaml", 7, "spec", "spec.controlPlane.replicas: required field is missing")]


def test_load_fleet_duplicate_cluster_names_reported_on_every_copy(tmp_path: Path) -> None:
    # either file may be the copy just added: each is told about the others
    files = {"a.yaml": SPEC.format(name="x"), "b/b.yaml": SPEC.format(name="x"), "c.yaml": SPEC.format(name="x")}
    fleet, findings = load_fleet(_repo(tmp_path, files))
    assert [(f.position.file, f.position.line, f.rule_id) for f in findings] == [
        ("clusters/a.yaml", 4, "unique-cluster-names"), ("clusters/b/b.yaml", 4, "unique-cluster-names"),
        ("clusters/c.yaml", 4, "unique-cluster-names")]
    assert "is also defined in clusters/b/b.yaml, clusters/c.yaml;" in findings[0].message
    assert "is also defined in clusters/a.yaml, clusters/c.yaml;" in findings[1].message


def test_load_fleet_several_bad_files_all_reported(tmp_path: Path) -> None:
    fleet, findings = load_fleet(_repo(tmp_path, {"a.yaml": "a:\n\tb: 1\n", "b.yaml": "", "c.yaml": SPEC.format(name="c")}))
    assert [c.name for c in fleet.clusters] == ["c"]
    assert [(f.position.file, f.rule_id) for f in findings] == [("clusters/a.yaml", "parse"), ("clusters/b.yaml", "parse")]


def test_load_fleet_missing_config_is_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a fleet repository"):
        load_fleet(tmp_path)


def test_load_fleet_invalid_config_lists_each_problem(tmp_path: Path) -> None:
    bad = CONFIG.replace("  repo: https://git.example.com/fleet.git\n", "  agent: argo\n")
    with pytest.raises(ConfigError) as info:
        load_fleet(_repo(tmp_path, {}, config=bad))
    assert str(info.value).splitlines() == [
        "fleetgen.yaml:4:3: gitops.agent: input should be 'fleet' or 'flux', got 'argo'",
        "fleetgen.yaml:3:1: gitops.repo: required field is missing",
    ]


def test_load_fleet_addon_resource_outside_folder_refused(tmp_path: Path) -> None:
    _repo(tmp_path, {})
    addon = tmp_path / "crs" / "evil"
    addon.mkdir(parents=True)
    (addon / "addon.yaml").write_text(
        "apiVersion: fleetgen.dev/v1alpha1\nkind: Addon\nmetadata: {name: evil}\n"
        "spec:\n  clusterSelector: {matchLabels: {a: b}}\n  resources: [../../fleetgen.yaml]\n")
    fleet, findings = load_fleet(tmp_path)
    assert fleet.addons == ()
    assert [(f.position.line, f.message) for f in findings] == [
        (6, "spec.resources[0]: '../../fleetgen.yaml' must be a file inside crs/evil/")]


def test_deep_merge_keeps_key_order_and_never_shares_the_defaults() -> None:
    """Defaults are merged under every spec: a merged result must not alias them, or one
    cluster's data could change what the next cluster inherits."""
    defaults = {"spec": {"version": "v1.30.2", "workers": [{"name": "md-0"}], "labels": {"a": "1"}}, "kind": "ClusterSpec"}
    spec = {"kind": "ClusterSpec", "spec": {"labels": {"b": "2"}, "replicas": 3}, "metadata": {"name": "x"}}
    merged = deep_merge(defaults, spec)
    assert merged == {"spec": {"version": "v1.30.2", "workers": [{"name": "md-0"}], "labels": {"a": "1", "b": "2"},
                               "replicas": 3},
                      "kind": "ClusterSpec", "metadata": {"name": "x"}}
    assert list(merged) == ["spec", "kind", "metadata"] and list(merged["spec"]) == ["version", "workers", "labels", "replicas"]
    merged["spec"]["workers"][0]["name"] = "changed"
    merged["spec"]["labels"]["c"] = "3"
    assert defaults == {"spec": {"version": "v1.30.2", "workers": [{"name": "md-0"}], "labels": {"a": "1"}}, "kind": "ClusterSpec"}
    assert spec["spec"]["labels"] == {"b": "2"}


def test_load_fleet_addon_folder_without_addon_yaml_is_one_finding_hidden_folders_skipped(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"a.yaml": SPEC.format(name="a")})
    (root / "crs" / "notes").mkdir(parents=True)
    (root / "crs" / "notes" / "calico.yaml").write_text("kind: ConfigMap\n")
    (root / "crs" / ".templates").mkdir()
    fleet, findings = load_fleet(root)
    assert fleet.addons == ()
    assert [(str(f.position), f.rule_id, f.message) for f in findings] == [
        ("crs/notes", "spec", "crs/notes/ has no addon.yaml: every folder under crs/ is one addon, described by its "
                              "addon.yaml; add one, or move the folder out of crs/")]
