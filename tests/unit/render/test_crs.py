"""Addons -> ClusterResourceSets (`fleetgen.render.crs`): names, namespaces, payload packing, refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from fleetgen.findings import Severity
from fleetgen.render import crs, render_fleet
from fleetgen.render.crs import (
    CONFIGMAP_BUDGET_BYTES,
    CONFIGMAP_LIMIT_BYTES,
    crs_name,
    plan_payload,
    render_addon,
    split_documents,
)
from fleetgen.spec.load import LoadedAddon, load_fleet

REPO_ROOT = Path(__file__).resolve().parents[3]

FLEET_YAML = """\
apiVersion: fleetgen.dev/v1alpha1
kind: FleetConfig
gitops:
  agent: fleet
  repo: https://git.example.com/platform/fleet.git
defaults:
  metadata: {namespace: clusters}
  spec: {kubernetesVersion: v1.33.1}
"""


def cluster_yaml(name: str, *, namespace: str | None = None, labels: dict[str, str] | None = None) -> str:
    meta = f"  name: {name}\n"
    if namespace:
        meta += f"  namespace: {namespace}\n"
    if labels:
        meta += "  labels:\n" + "".join(f"    {k}: {v}\n" for k, v in labels.items())
    return (
        "apiVersion: fleetgen.dev/v1alpha1\nkind: ClusterSpec\nmetadata:\n" + meta
        + "spec:\n  hypervisor: kubevirt\n  controlPlane:\n    replicas: 1\n    machine: {cpus: 2, memory: 4Gi}\n"
        "  workers:\n    - name: md-0\n      replicas: 1\n      machine: {cpus: 2, memory: 4Gi}\n"
        "  kubevirt:\n    image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1\n"
    )


def addon_yaml(name: str, resources: list[str], *, selector: str = "{matchLabels: {cni: calico}}",
               strategy: str = "Reconcile") -> str:
    return (f"apiVersion: fleetgen.dev/v1alpha1\nkind: Addon\nmetadata:\n  name: {name}\nspec:\n"
            f"  clusterSelector: {selector}\n  strategy: {strategy}\n  resources:\n"
            + "".join(f"    - {r}\n" for r in resources))


def make_fleet(root: Path, *, clusters: dict[str, str], addons: dict[str, tuple[str, dict[str, bytes | str]]]) -> Path:
    """Write a fleet repository: fleetgen.yaml, clusters/<file>, crs/<addon>/addon.yaml + files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "fleetgen.yaml").write_text(FLEET_YAML)
    for rel, text in clusters.items():
        path = root / "clusters" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name, (spec, files) in addons.items():
        folder = root / "crs" / name
        folder.mkdir(parents=True)
        (folder / "addon.yaml").write_text(spec)
        for fname, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            (folder / fname).write_bytes(data)
    return root


def load_addon(root: Path, name: str) -> LoadedAddon:
    fleet, findings = load_fleet(root)
    assert findings == []
    return next(a for a in fleet.addons if a.name == name)


#: A small payload of at least 32 bytes (`crs.CRS_MIN_DATA_BYTES`, the CRS controller's shortest value).
LIST = "apiVersion: v1\nkind: List\nitems: []\n"


def configmap_doc(name: str, size: int) -> str:
    """A ConfigMap document of about `size` bytes (its data is one long line)."""
    head = f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  blob: "
    return head + "x" * max(0, size - len(head) - 1) + "\n"


def test_crs_name_changes_with_strategy_and_selector_only(tmp_path: Path) -> None:
    base = make_fleet(tmp_path / "a", clusters={}, addons={
        "net": (addon_yaml("net", ["n.yaml"], selector="{matchLabels: {a: '1', b: '2'}}"), {"n.yaml": LIST})})
    reordered = make_fleet(tmp_path / "b", clusters={}, addons={
        "net": (addon_yaml("net", ["n.yaml"], selector="{matchLabels: {b: '2', a: '1'}}"), {"n.yaml": LIST})})
    other_strategy = make_fleet(tmp_path / "c", clusters={}, addons={
        "net": (addon_yaml("net", ["n.yaml"], selector="{matchLabels: {a: '1', b: '2'}}", strategy="ApplyOnce"),
                {"n.yaml": LIST})})
    other_selector = make_fleet(tmp_path / "d", clusters={}, addons={
        "net": (addon_yaml("net", ["n.yaml"], selector="{matchLabels: {a: '1'}}"), {"n.yaml": LIST})})
    name = crs_name(load_addon(base, "net").addon)
    assert name.startswith("net-") and len(name) == len("net-") + 8
    assert crs_name(load_addon(reordered, "net").addon) == name  # a map: key order is not a change
    assert crs_name(load_addon(other_strategy, "net").addon) != name
    assert crs_name(load_addon(other_selector, "net").addon) != name


def test_split_documents_keeps_every_byte_and_line_numbers() -> None:
    text = "# lead comment\napiVersion: v1\nkind: A\n---\nkind: B\n--- # c\nkind: C\n"
    pieces = split_documents(text)
    assert "".join(p for _, p in pieces) == text
    assert [line for line, _ in pieces] == [1, 4, 6]
    assert split_documents("---\nkind: A\n") == [(1, "---\nkind: A\n")]
    assert split_documents("a: '--- not a marker'\n----\n") == [(1, "a: '--- not a marker'\n----\n")]


def test_render_addon_ships_each_file_intact_keyed_by_file_name(tmp_path: Path) -> None:
    root = tmp_path / "fleet"
    shutil.copytree(REPO_ROOT / "crs", root / "crs")
    make_fleet(root, clusters={}, addons={})
    addon = load_addon(root, "baseline")
    objects, findings = render_addon(addon, "clusters")
    assert findings == []
    cm, crs_obj = (o.manifest for o in objects)
    assert [o.ref.kind for o in objects] == ["ConfigMap", "ClusterResourceSet"]
    for fname in ("platform-namespace.yaml", "platform-rbac.yaml"):
        assert cm["data"][fname] == (root / "crs" / "baseline" / fname).read_text()
    assert crs_obj["apiVersion"] == "addons.cluster.x-k8s.io/v1beta2"
    assert crs_obj["metadata"] == {"name": crs_name(addon.addon), "namespace": "clusters",
                                   "labels": {"fleetgen.dev/addon": "baseline"}}
    assert crs_obj["spec"] == {
        "clusterSelector": {"matchLabels": {"fleetgen.dev/baseline": "enabled"}},
        "strategy": "ApplyOnce",
        "resources": [{"kind": "ConfigMap", "name": cm["metadata"]["name"]}],
    }
    assert cm["metadata"]["namespace"] == "clusters"
    # findings on rendered objects go back to the addon spec
    assert objects[1].spec_position("/spec/strategy").line == 10
    assert objects[0].spec_position("/data/platform-rbac.yaml").line == 13


def test_addon_is_rendered_into_every_namespace_holding_a_matching_cluster(tmp_path: Path) -> None:
    root = make_fleet(tmp_path / "fleet", clusters={
        "a.yaml": cluster_yaml("a", namespace="team-a", labels={"cni": "calico"}),
        "b.yaml": cluster_yaml("b", namespace="team-b", labels={"cni": "cilium"}),
        "c.yaml": cluster_yaml("c", namespace="team-c", labels={"cni": "calico"}),
        "d.yaml": cluster_yaml("d", namespace="team-c", labels={"cni": "calico"}),
    }, addons={"calico": (addon_yaml("calico", ["c.yaml"]), {"c.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"})})
    fleet, findings = load_fleet(root)
    assert findings == []
    result = render_fleet(fleet)
    addon_files = sorted(f.path for f in result.files if f.path.endswith("/addon.yaml"))
    assert addon_files == ["addons/team-a/calico/addon.yaml", "addons/team-c/calico/addon.yaml"]
    for path in addon_files:
        ns = path.split("/")[1]
        assert {o.manifest["metadata"]["namespace"] for o in result.by_path()[path].objects} == {ns}


def test_addon_without_matching_cluster_renders_nothing(tmp_path: Path) -> None:
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "cilium"})},
                      addons={"calico": (addon_yaml("calico", ["c.yaml"]), {"c.yaml": LIST})})
    fleet, _ = load_fleet(root)
    result = render_fleet(fleet)
    assert not [f for f in result.files if f.path.startswith("addons/")]
    assert result.findings == ()


def test_real_calico_manifest_renders_into_one_configmap_under_budget(tmp_path: Path, upstream: Path) -> None:
    calico = upstream / "projectcalico" / "calico" / "v3.31.7" / "manifests" / "calico.yaml"
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"calico": (addon_yaml("calico", ["calico.yaml"]), {"calico.yaml": calico.read_bytes()})})
    addon = load_addon(root, "calico")
    objects, findings = render_addon(addon, "clusters")
    assert findings == []
    assert [o.ref.kind for o in objects] == ["ConfigMap", "ClusterResourceSet"]
    data = objects[0].manifest["data"]
    assert list(data) == ["calico.yaml"]
    assert data["calico.yaml"].encode() == calico.read_bytes()
    size = sum(len(k.encode()) + len(v.encode()) for k, v in data.items())
    assert 300_000 < size <= CONFIGMAP_BUDGET_BYTES
    # the serialized ConfigMap reads back to the exact payload
    fleet, _ = load_fleet(root)
    text = render_fleet(fleet).by_path()["addons/clusters/calico/addon.yaml"].content
    docs = list(yaml.safe_load_all(text))
    assert docs[0]["data"]["calico.yaml"].encode() == calico.read_bytes()


def test_multidoc_payload_over_budget_is_split_at_document_boundaries(tmp_path: Path) -> None:
    docs = [configmap_doc(f"part{i}", 300 * 1024) for i in range(5)]  # ~1.5 MiB in 300 KiB documents
    payload = "# big addon\n" + "".join(docs)
    small = "apiVersion: v1\nkind: Namespace\nmetadata: {name: small}\n"
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"big": (addon_yaml("big", ["big.yaml", "small.yaml"]), {"big.yaml": payload, "small.yaml": small})})
    addon = load_addon(root, "big")
    objects, findings = render_addon(addon, "clusters")
    assert findings == []
    cms = [o.manifest for o in objects if o.ref.kind == "ConfigMap"]
    crs_obj = objects[-1].manifest
    assert len(cms) >= 2
    name = crs_name(addon.addon)
    assert [c["metadata"]["name"] for c in cms] == [f"{name}-{i}" for i in range(1, len(cms) + 1)]
    assert crs_obj["spec"]["resources"] == [{"kind": "ConfigMap", "name": c["metadata"]["name"]} for c in cms]
    for cm in cms:
        assert sum(len(k.encode()) + len(v.encode()) for k, v in cm["data"].items()) <= CONFIGMAP_BUDGET_BYTES
    # CAPI applies ConfigMaps in resources order and keys sorted: that order rebuilds the files
    ordered = [(k, cm["data"][k]) for cm in cms for k in sorted(cm["data"])]
    parts = [v for k, v in ordered if k.startswith("big.yaml.part-")]
    assert [k for k, _ in ordered if k.startswith("big.yaml.part-")] == [f"big.yaml.part-{i:02d}" for i in range(1, len(parts) + 1)]
    assert "".join(parts) == payload
    assert dict(ordered)["small.yaml"] == small
    for part in parts:  # every part is whole YAML documents
        assert all(d is None or d["kind"] == "ConfigMap" for d in yaml.safe_load_all(part))


def test_single_document_over_1mib_is_a_payload_size_finding(tmp_path: Path) -> None:
    huge = configmap_doc("huge", CONFIGMAP_LIMIT_BYTES + 10)
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"huge": (addon_yaml("huge", ["ok.yaml", "huge.yaml"]),
                                       {"ok.yaml": LIST, "huge.yaml": huge})})
    addon = load_addon(root, "huge")
    objects, findings = render_addon(addon, "clusters")
    assert objects == []
    assert [(f.rule_id, f.severity, str(f.position), f.pointer) for f in findings] == [
        ("crs-payload-size", Severity.ERROR, "crs/huge/addon.yaml:10:7", "/spec/resources/1")]
    assert "huge.yaml document 1 (line 1)" in findings[0].message and "1048576" in findings[0].message
    # render_fleet does not crash: it leaves the addon out and reports the finding
    fleet, _ = load_fleet(root)
    result = render_fleet(fleet)
    assert [f.rule_id for f in result.findings] == ["crs-payload-size"]
    assert not [f for f in result.files if f.path.startswith("addons/")]


def test_single_document_of_exactly_1mib_is_shipped_the_data_key_does_not_count(tmp_path: Path) -> None:
    # ValidateConfigMap sums the values only: a 1 MiB document fits, whatever its key's length
    exact = configmap_doc("exact", CONFIGMAP_LIMIT_BYTES)
    assert len(exact.encode()) == CONFIGMAP_LIMIT_BYTES
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"exact": (addon_yaml("exact", ["exact.yaml"]), {"exact.yaml": exact})})
    objects, findings = render_addon(load_addon(root, "exact"), "clusters")
    assert findings == []
    [cm] = [o.manifest for o in objects if o.manifest["kind"] == "ConfigMap"]
    assert list(cm["data"].values()) == [exact]


def test_secret_with_data_in_payload_is_refused(tmp_path: Path) -> None:
    payload = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\n"
               "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: x}\nstringData: {token: hunter2}\n")
    tokenless = "apiVersion: v1\nkind: Secret\nmetadata: {name: sa-token}\ntype: kubernetes.io/service-account-token\n"
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"leaky": (addon_yaml("leaky", ["p.yaml", "t.yaml"]), {"p.yaml": payload, "t.yaml": tokenless})})
    fleet, _ = load_fleet(root)
    result = render_fleet(fleet)
    assert [(f.rule_id, str(f.position)) for f in result.findings] == [("no-inline-secrets", "crs/leaky/p.yaml:6:1")]
    assert "Secret creds" in result.findings[0].message and "stringData.token" in result.findings[0].message
    assert "hunter2" not in result.findings[0].message
    assert not any(b"hunter2" in f.content for f in result.files)
    assert not [f for f in result.files if f.path.startswith("addons/")]


def test_secret_finding_is_checked_even_when_no_cluster_matches(tmp_path: Path) -> None:
    payload = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\ndata: {token: aHVudGVyMg==}\n"
    root = make_fleet(tmp_path / "fleet", clusters={}, addons={"leaky": (addon_yaml("leaky", ["p.yaml"]), {"p.yaml": payload})})
    fleet, _ = load_fleet(root)
    assert [f.rule_id for f in render_fleet(fleet).findings] == ["no-inline-secrets"]


def test_payload_that_is_not_yaml_is_a_parse_finding(tmp_path: Path) -> None:
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"bad": (addon_yaml("bad", ["b.yaml"]), {"b.yaml": "kind: A\nmetadata: [unclosed\n"})})
    addon = load_addon(root, "bad")
    plan = plan_payload(addon)
    assert [(f.rule_id, f.position.file) for f in plan.findings] == [("parse", "crs/bad/b.yaml")]
    assert plan.configmaps == ()


def test_file_name_that_is_not_a_configmap_key_is_refused(tmp_path: Path) -> None:
    root = make_fleet(tmp_path / "fleet", clusters={},
                      addons={"odd": (addon_yaml("odd", ["'my file.yaml'"]), {"my file.yaml": LIST})})
    plan = plan_payload(load_addon(root, "odd"))
    assert [f.rule_id for f in plan.findings] == [crs.RULE_PAYLOAD_KEY]
    assert str(plan.findings[0].position) == "crs/odd/addon.yaml:9:7"


def test_configmap_names_are_suffixed_only_when_split() -> None:
    assert crs.configmap_names("net-0123abcd", 1) == ["net-0123abcd"]
    assert crs.configmap_names("net-0123abcd", 3) == ["net-0123abcd-1", "net-0123abcd-2", "net-0123abcd-3"]


@pytest.mark.parametrize(("strategy", "expected"), [("ApplyOnce", "ApplyOnce"), ("Reconcile", "Reconcile")],
                         ids=["apply-once", "reconcile"])
def test_strategy_is_rendered_as_written(tmp_path: Path, strategy: str, expected: str) -> None:
    root = make_fleet(tmp_path / "fleet", clusters={},
                      addons={"x": (addon_yaml("x", ["x.yaml"], strategy=strategy), {"x.yaml": LIST})})
    objects, _ = render_addon(load_addon(root, "x"), "ns")
    assert objects[-1].manifest["spec"]["strategy"] == expected


def test_content_after_document_separator_is_a_parse_error_at_its_line(tmp_path: Path) -> None:
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: x}\ndata: {a: b}\n"
            "--- # a comment is fine\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: two, namespace: x}\n"
            "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: three, namespace: x}}\n")
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"sep": (addon_yaml("sep", ["sep.yaml"]), {"sep.yaml": text})})
    objects, findings = render_addon(load_addon(root, "sep"), "clusters")
    assert objects == []
    assert [(f.rule_id, f.severity, str(f.position)) for f in findings] == [("parse", Severity.ERROR, "crs/sep/sep.yaml:9:4")]
    assert "invalid Yaml document separator" in findings[0].message


def test_payload_empty_or_shorter_than_32_bytes_is_an_error_at_its_resources_line(tmp_path: Path) -> None:
    # the CRS controller peeks 32 bytes of each data value (isJSONList) and fails the ConfigMap on EOF
    files = {"ok.yaml": LIST, "empty.yaml": "", "tiny.yaml": "kind: List\n"}
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"x": (addon_yaml("x", list(files)), files)})
    objects, findings = render_addon(load_addon(root, "x"), "clusters")
    assert objects == []
    assert [(f.rule_id, f.severity, str(f.position), f.pointer) for f in findings] == [
        ("crs-payload-size", Severity.ERROR, "crs/x/addon.yaml:10:7", "/spec/resources/1"),
        ("crs-payload-size", Severity.ERROR, "crs/x/addon.yaml:11:7", "/spec/resources/2"),
    ]
    assert findings[0].message == (
        "spec.resources[1]: empty.yaml is empty; the ClusterResourceSet controller fails on a payload shorter than "
        "32 bytes (EOF) and applies nothing of the ConfigMap holding it; remove it from spec.resources")
    assert findings[1].message.startswith("spec.resources[2]: tiny.yaml is 11 bytes; the ClusterResourceSet controller")
    assert findings[1].message.endswith("; add a comment line to make it at least 32 bytes")


def test_payload_of_comments_only_ships_nothing_is_a_warning(tmp_path: Path) -> None:
    files = {"ok.yaml": LIST, "notes.yaml": "# the objects of this file come later\n---\n"}
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"x": (addon_yaml("x", list(files)), files)})
    objects, findings = render_addon(load_addon(root, "x"), "clusters")
    assert [(f.rule_id, f.severity, str(f.position)) for f in findings] == [
        ("crs-payload-size", Severity.WARNING, "crs/x/addon.yaml:10:7")]
    assert findings[0].message == ("spec.resources[1]: notes.yaml ships nothing (no Kubernetes object, only comments "
                                   "or empty documents); remove it from spec.resources or add its objects")
    assert [o.ref.kind for o in objects] == ["ConfigMap", "ClusterResourceSet"]  # a warning renders


def test_split_file_has_no_part_shorter_than_32_bytes(tmp_path: Path) -> None:
    # a lead comment followed by a document that fills a ConfigMap was a 7-byte part of its own
    payload = "# lead\n" + configmap_doc("big", CONFIGMAP_BUDGET_BYTES + 100) + "---\n" + LIST
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"big": (addon_yaml("big", ["big.yaml"]), {"big.yaml": payload})})
    objects, findings = render_addon(load_addon(root, "big"), "clusters")
    assert findings == []
    data = [(k, cm.manifest["data"][k]) for cm in objects[:-1] for k in sorted(cm.manifest["data"])]
    assert [k for k, _ in data] == ["big.yaml.part-01", "big.yaml.part-02"]
    assert "".join(v for _, v in data) == payload
    assert all(crs.CRS_MIN_DATA_BYTES <= len(v.encode()) <= CONFIGMAP_LIMIT_BYTES for _, v in data)


def test_json_list_payload_over_budget_is_one_document_never_split(tmp_path: Path) -> None:
    item = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c%d"}, "data": {"blob": "%s"}}'
    payload = "[\n" + ",\n".join(item % (i, "x" * 100_000) for i in range(10)) + "\n]\n"
    assert CONFIGMAP_BUDGET_BYTES < len(payload) < CONFIGMAP_LIMIT_BYTES
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"list": (addon_yaml("list", ["list.json"]), {"list.json": payload})})
    objects, findings = render_addon(load_addon(root, "list"), "clusters")
    assert findings == []
    assert [cm.manifest["data"] for cm in objects[:-1]] == [{"list.json.part-01": payload}]


def test_json_list_payload_that_is_not_strict_json_is_refused(tmp_path: Path) -> None:
    payload = '[\n  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},\n]\n'
    root = make_fleet(tmp_path / "fleet", clusters={"a.yaml": cluster_yaml("a", labels={"cni": "calico"})},
                      addons={"list": (addon_yaml("list", ["list.json"]), {"list.json": payload})})
    objects, findings = render_addon(load_addon(root, "list"), "clusters")
    assert objects == []
    assert [(f.rule_id, f.severity, str(f.position)) for f in findings] == [("parse", Severity.ERROR, "crs/list/list.json:3:1")]
    assert "applies nothing of it (without an error)" in findings[0].message
