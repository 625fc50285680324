"""Tests for fleetgen.validate.payload (addon payload checks) and fleetgen.validate.kube_schemas.

Every test builds a small fleet repository in tmp_path (fleetgen.yaml, one or two ClusterSpecs,
crs/<addon>/addon.yaml plus payload files) and loads it with the real loader. Upstream manifests are
read from the pinned mirror (the `upstream` fixture, tests/conftest.py `UPSTREAM`) and written into tmp_path at test time.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fleetgen.errors import SchemaNotFoundError
from fleetgen.findings import Severity
from fleetgen.spec.load import Fleet, load_fleet
from fleetgen.validate import kube_schemas, payload
from fleetgen.validate.payload import check_payloads

#: Paths inside the pinned upstream mirror (the `upstream` fixture, tests/conftest.py `UPSTREAM`).
CALICO_PATH = "projectcalico/calico/v3.31.7/manifests/calico.yaml"
KINDNET_PATH = "kubernetes-sigs/cluster-api/v1.12.11/test/e2e/data/cni/kindnet/kindnet.yaml"

FLEETGEN_YAML = """\
apiVersion: fleetgen.dev/v1alpha1
kind: FleetConfig
gitops:
  agent: fleet
  repo: https://git.example.com/platform/fleet.git
defaults:
  metadata: {namespace: clusters}
  spec: {kubernetesVersion: v1.33.1}
"""


def cluster_yaml(name: str, version: str = "v1.33.1", cni: str = "calico") -> str:
    """A minimal valid KubeVirt ClusterSpec labelled cni=<cni>."""
    return f"""\
apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata:
  name: {name}
  labels: {{cni: {cni}}}
spec:
  hypervisor: kubevirt
  kubernetesVersion: {version}
  controlPlane:
    replicas: 1
    machine: {{cpus: 2, memory: 4Gi}}
  kubevirt:
    image: quay.io/capk/ubuntu-2404-container-disk:{version}
"""


def addon_yaml(name: str, resources: list[str], cni: str = "calico") -> str:
    """An Addon selecting clusters labelled cni=<cni>."""
    listed = "".join(f"    - {r}\n" for r in resources)
    return f"""\
apiVersion: fleetgen.dev/v1alpha1
kind: Addon
metadata:
  name: {name}
spec:
  clusterSelector:
    matchLabels: {{cni: {cni}}}
  strategy: Reconcile
  resources:
{listed}"""


def make_fleet(
    root: Path, addons: dict[str, dict[str, bytes | str]], clusters: dict[str, str] | None = None
) -> Fleet:
    """Write a fleet repository under root and load it; the load must be clean."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "fleetgen.yaml").write_text(FLEETGEN_YAML)
    for name, text in (clusters if clusters is not None else {"a": cluster_yaml("a")}).items():
        path = root / "clusters" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for addon, files in addons.items():
        folder = root / "crs" / addon
        folder.mkdir(parents=True)
        (folder / "addon.yaml").write_text(addon_yaml(addon, list(files)))
        for fname, content in files.items():
            (folder / fname).write_bytes(content.encode() if isinstance(content, str) else content)
    fleet, findings = load_fleet(root)
    assert findings == []
    return fleet


def triples(findings: list) -> list[tuple[str, int, int, str, str]]:
    """(file, line, col, rule, severity) of each finding."""
    return [(f.position.file, f.position.line, f.position.col, f.rule_id, f.severity.value) for f in findings]


def line_of(text: str, needle: str, start: int = 0) -> int:
    """1-based line number of the first line equal to `needle` at or after 0-based line `start`."""
    lines = text.split("\n")
    return lines.index(needle, start) + 1


# --- real upstream payloads ---------------------------------------------------------------------


@pytest.fixture
def calico(upstream: Path) -> bytes:
    """The real Calico v3.31.7 manifest (332 KB: CRDs, RBAC, DaemonSet, Deployment, ConfigMap)."""
    return (upstream / CALICO_PATH).read_bytes()


def test_check_payloads_real_calico_manifest_reports_nothing(tmp_path: Path, calico: bytes) -> None:
    fleet = make_fleet(tmp_path, {"calico": {"calico.yaml": calico}})
    assert check_payloads(fleet) == []


def test_check_payloads_real_kindnet_manifest_reports_nothing(tmp_path: Path, upstream: Path) -> None:
    fleet = make_fleet(tmp_path, {"kindnet": {"kindnet.yaml": (upstream / KINDNET_PATH).read_bytes()}})
    assert check_payloads(fleet) == []


def test_check_payloads_calico_cold_cache_is_under_one_second(tmp_path: Path, calico: bytes) -> None:
    fleet = make_fleet(tmp_path, {"calico": {"calico.yaml": calico}})
    payload._parse_cache.clear()
    payload._result_cache.clear()
    # CPU time of this process, so that other processes on a busy CI runner do not make it flaky.
    start = time.process_time()
    assert check_payloads(fleet) == []
    cold_s = time.process_time() - start
    start = time.process_time()
    check_payloads(fleet)
    warm_s = time.process_time() - start
    assert cold_s < 1.0
    assert warm_s <= cold_s


def test_check_payloads_broken_calico_copy_reports_exact_lines(tmp_path: Path, calico: bytes) -> None:
    text = calico.decode()
    lines = text.split("\n")
    replicas = line_of(text, "  replicas: 1")
    lines[replicas - 1] = '  replicas: "two"'
    daemonset = line_of(text, "kind: DaemonSet")
    pod_spec = line_of(text, "    spec:", daemonset)  # the DaemonSet's pod template spec
    lines[pod_spec - 1] = "    spce:"
    fleet = make_fleet(tmp_path, {"calico": {"calico.yaml": "\n".join(lines)}})

    findings = check_payloads(fleet)

    assert triples(findings) == [
        ("crs/calico/calico.yaml", pod_spec, 5, "addon-schema", "error"),
        ("crs/calico/calico.yaml", replicas, 3, "addon-schema", "error"),
    ]
    spce, two = findings
    assert spce.pointer == "/spec/template/spce"
    assert spce.message == (
        "apps/v1 DaemonSet calico-node: spec.template.spce: unknown field 'spce' "
        "(the API server drops unknown fields silently) (Kubernetes 1.33 schema)"
    )
    assert str(spce.object) == "DaemonSet kube-system/calico-node"
    assert two.pointer == "/spec/replicas"
    assert two.message == (
        "apps/v1 Deployment calico-kube-controllers: spec.replicas: expected integer, "
        'got string "two" (Kubernetes 1.33 schema)'
    )


# --- small synthetic payloads -------------------------------------------------------------------

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: "80"
"""


def test_check_payloads_wrong_type_in_list_item_reports_field_line(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, {"web": {"web.yaml": DEPLOYMENT}})
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/web/web.yaml", 18, 15, "addon-schema", "error")]
    assert findings[0].pointer == "/spec/template/spec/containers/0/ports/0/containerPort"


def test_check_payloads_missing_required_field_reports_parent(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace("        - name: web\n          image", "        - image").replace('"80"', "80")
    fleet = make_fleet(tmp_path, {"web": {"web.yaml": text}})
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/web/web.yaml", 15, 11, "addon-schema", "error")]  # the item "- image:"
    assert "spec.template.spec.containers[0]: missing required field 'name'" in findings[0].message


def test_check_payloads_inline_secret_reports_no_inline_secrets(tmp_path: Path) -> None:
    secret = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
stringData:
  password: hunter2
"""
    fleet = make_fleet(tmp_path, {"db": {"db.yaml": secret}})
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/db/db.yaml", 7, 1, "no-inline-secrets", "error")]
    assert findings[0].message.startswith(
        "v1 Secret db-credentials in crs/db/db.yaml:7 ships secret values in git"
    )
    assert "stringData.password" in findings[0].message
    assert "hunter2" not in findings[0].message


def test_check_payloads_dataless_service_account_token_secret_passes(tmp_path: Path) -> None:
    token = """\
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: robot-token
  annotations: {kubernetes.io/service-account.name: robot}
"""
    fleet = make_fleet(tmp_path, {"robot": {"token.yaml": token}})
    assert check_payloads(fleet) == []


def test_check_payloads_yaml_syntax_error_reports_parse_at_line(tmp_path: Path) -> None:
    broken = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: ok
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: [unclosed
data: {}
"""
    fleet = make_fleet(tmp_path, {"cm": {"cm.yaml": broken}})
    findings = check_payloads(fleet)
    assert [(f.position.file, f.position.line, f.rule_id) for f in findings] == [
        ("crs/cm/cm.yaml", 10, "parse")
    ]
    assert findings[0].severity is Severity.ERROR


def test_check_payloads_missing_identity_fields_report_addon_schema(tmp_path: Path) -> None:
    text = """\
kind: ConfigMap
metadata: {name: no-api-version}
---
apiVersion: v1
metadata: {name: no-kind}
---
apiVersion: v1
kind: ConfigMap
metadata:
  labels: {a: b}
---
- just
- a list
"""
    fleet = make_fleet(tmp_path, {"bad": {"bad.yaml": text}})
    findings = check_payloads(fleet)
    assert triples(findings) == [
        ("crs/bad/bad.yaml", 1, 1, "addon-schema", "error"),
        ("crs/bad/bad.yaml", 4, 1, "addon-schema", "error"),
        ("crs/bad/bad.yaml", 9, 1, "addon-schema", "error"),
        ("crs/bad/bad.yaml", 12, 1, "addon-schema", "error"),
    ]
    messages = [f.message for f in findings]
    assert "document 1 of crs/bad/bad.yaml: apiVersion is missing" in messages[0]
    assert "document 2 of crs/bad/bad.yaml: kind is missing" in messages[1]
    assert "v1 ConfigMap: metadata.name is missing" in messages[2]
    assert "expected a Kubernetes object (a mapping), got a list" in messages[3]


def test_check_payloads_crd_kind_without_shipped_crd_reports_info(tmp_path: Path) -> None:
    installation = """\
apiVersion: operator.tigera.io/v1
kind: Installation
metadata: {name: default}
spec: {anything: goes}
"""
    fleet = make_fleet(tmp_path, {"tigera": {"installation.yaml": installation}})
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/tigera/installation.yaml", 2, 1, "addon-schema", "info")]
    assert "not a core Kubernetes kind" in findings[0].message


def test_check_payloads_crd_kind_with_crd_in_other_addon_reports_nothing(tmp_path: Path) -> None:
    crd = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: installations.operator.tigera.io}
spec:
  group: operator.tigera.io
  names: {kind: Installation, listKind: InstallationList, plural: installations, singular: installation}
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
    installation = (
        "apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata: {name: default}\nspec: {x: 1}\n"
    )
    fleet = make_fleet(tmp_path, {"crds": {"crd.yaml": crd}, "tigera": {"installation.yaml": installation}})
    assert check_payloads(fleet) == []


def test_check_payloads_removed_api_reports_served_alternative(tmp_path: Path) -> None:
    pdb = """\
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 1
"""
    fleet = make_fleet(tmp_path, {"pdb": {"pdb.yaml": pdb}})
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/pdb/pdb.yaml", 1, 1, "addon-schema", "error")]
    assert "Kubernetes 1.33 does not serve policy/v1beta1 PodDisruptionBudget" in findings[0].message
    assert "use policy/v1" in findings[0].message


def test_check_payloads_misspelled_kind_is_reported_at_the_kind(tmp_path: Path) -> None:
    # no version of the group serves the kind: the kind is what to fix, not the apiVersion
    binding = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBindng
metadata: {name: viewers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
"""
    fleet = make_fleet(tmp_path, {"rbac": {"rbac.yaml": binding}})
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/rbac/rbac.yaml", 2, 1, "addon-schema", "error")]
    assert "does not serve rbac.authorization.k8s.io/v1 ClusterRoleBindng" in findings[0].message
    assert "check the apiVersion and kind" in findings[0].message


DEVICE_CLASS = "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: {name: gpu}\nspec: {}\n"


def test_check_payloads_kind_newer_than_cluster_version_reports_error(tmp_path: Path) -> None:
    # resource.k8s.io/v1 is served from Kubernetes 1.34; the selected cluster runs 1.33.
    fleet = make_fleet(tmp_path, {"dra": {"class.yaml": DEVICE_CLASS}})
    assert triples(check_payloads(fleet)) == [("crs/dra/class.yaml", 1, 1, "addon-schema", "error")]


def test_check_payloads_version_override_uses_that_schema(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, {"dra": {"class.yaml": DEVICE_CLASS}})
    assert check_payloads(fleet, kubernetes_versions={"dra": "v1.34.2"}) == []


def test_check_payloads_clusters_on_two_versions_merge_identical_findings(tmp_path: Path) -> None:
    clusters = {"a": cluster_yaml("a", "v1.32.4"), "b": cluster_yaml("b", "v1.33.1")}
    fleet = make_fleet(tmp_path, {"web": {"web.yaml": DEPLOYMENT}}, clusters=clusters)
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/web/web.yaml", 18, 15, "addon-schema", "error")]
    assert findings[0].message.endswith("(Kubernetes 1.32, 1.33 schemas)")


def test_check_payloads_api_not_served_by_two_cluster_versions_is_one_finding(tmp_path: Path) -> None:
    """One problem, one fix: an API removed before both versions is reported once, naming both."""
    pdb = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  maxUnavailable: 1\n"
    clusters = {"a": cluster_yaml("a", "v1.31.4"), "b": cluster_yaml("b", "v1.33.1")}
    fleet = make_fleet(tmp_path, {"pdb": {"pdb.yaml": pdb}}, clusters=clusters)
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/pdb/pdb.yaml", 1, 1, "addon-schema", "error")]
    assert "Kubernetes 1.31, 1.33 do not serve policy/v1beta1 PodDisruptionBudget" in findings[0].message
    assert findings[0].message.endswith("; use policy/v1")


def test_addon_kubernetes_versions_no_matching_cluster_uses_fleet_default(tmp_path: Path) -> None:
    fleet = make_fleet(
        tmp_path,
        {"web": {"web.yaml": DEPLOYMENT}},
        clusters={"a": cluster_yaml("a", "v1.30.2", cni="cilium")},
    )
    assert payload.addon_kubernetes_versions(fleet, fleet.addons[0]) == ["v1.33.1"]


# --- kube_schemas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cluster", "schema"),
    [
        ("v1.33.1", "1.33"),
        ("1.33", "1.33"),
        ("v1.33.1+k3s1", "1.33"),
        ("v1.99.0", "1.37"),
        ("v1.20.0", "1.25"),
    ],
    ids=["patch", "minor-only", "k3s-suffix", "newer-than-bundled", "older-than-bundled"],
)
def test_schema_version_for_cluster_version_picks_closest_not_newer(cluster: str, schema: str) -> None:
    assert kube_schemas.available_versions()[0] == "1.25"
    assert kube_schemas.schema_version_for(cluster) == schema


def test_core_schema_crd_group_named_like_builtin_returns_none() -> None:
    # file names keep only the first DNS label of the group; the lookup must not.
    assert kube_schemas.core_schema("v1.33.1", "apps.example.com/v1", "Deployment") is None
    assert kube_schemas.core_schema("v1.33.1", "apps/v1", "Deployment") is not None


def test_core_schema_is_self_contained_and_strict() -> None:
    import jsonschema_rs

    schema = kube_schemas.core_schema("v1.33.1", "v1", "Namespace")
    assert schema is not None
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})
    assert not validator.is_valid(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "lables": {}}}
    )


def test_validate_core_unknown_kind_raises_schema_not_found() -> None:
    with pytest.raises(SchemaNotFoundError):
        kube_schemas.validate_core({"apiVersion": "example.com/v1", "kind": "Thing"}, "v1.33.1")


def test_check_payloads_object_meta_labels_annotations_namespace_rejected_by_the_api_server(tmp_path: Path) -> None:
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${NAMESPACE}\n"
            "  labels:\n    app: " + "a" * 64 + "\n    'bad key!': x\n    ok: fine\n"
            "  annotations:\n    example.com/blob: " + "x" * 262_144 + "\ndata: {a: b}\n")
    fleet = make_fleet(tmp_path, {"meta": {"meta.yaml": text}})
    findings = check_payloads(fleet)
    assert triples(findings) == [
        ("crs/meta/meta.yaml", 5, 3, "addon-schema", "error"),    # namespace
        ("crs/meta/meta.yaml", 7, 5, "addon-schema", "error"),    # label value over 63
        ("crs/meta/meta.yaml", 8, 5, "addon-schema", "error"),    # label key
        ("crs/meta/meta.yaml", 10, 3, "addon-schema", "error"),   # annotations over 256 KiB
    ]
    messages = sorted(f.message for f in findings)
    assert any("metadata.namespace '${NAMESPACE}': must be a DNS-1123 label" in m for m in messages)
    assert any("metadata.labels['app']: must be no more than 63 characters" in m for m in messages)
    assert any("metadata.labels key 'bad key!'" in m for m in messages)
    assert any("metadata.annotations: 262160 bytes in total, over the 262144 bytes" in m for m in messages)


def test_check_payloads_annotations_of_exactly_256_kib_pass(tmp_path: Path) -> None:
    key = "example.com/blob"
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations:\n    "
            f"{key}: {'x' * (262_144 - len(key))}\ndata: {{a: b}}\n")
    assert check_payloads(make_fleet(tmp_path, {"meta": {"meta.yaml": text}})) == []


def test_check_payloads_json_list_file_checks_each_object_at_its_line(tmp_path: Path) -> None:
    text = ('[\n  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one", "namespace": "x"}, "data": {"a": "b"}},\n'
            '  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two", "namespace": "x"}, "data": {"a": 1}}\n]\n')
    findings = check_payloads(make_fleet(tmp_path, {"list": {"list.json": text}}))
    assert triples(findings) == [("crs/list/list.json", 3, 101, "addon-schema", "error")]
    assert findings[0].message.startswith("v1 ConfigMap two: ")


def test_check_payloads_merge_keys_are_resolved_and_the_merged_object_validated(tmp_path: Path) -> None:
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels: &l {app: web}\n"
            "  annotations:\n    <<: *l\n    note: fine\ndata: {a: b}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  labels: &m {app: web}\n"
            "data:\n  <<: {a: 1}\n  b: c\n")
    findings = check_payloads(make_fleet(tmp_path, {"merge": {"merge.yaml": text}}))
    assert triples(findings) == [("crs/merge/merge.yaml", 17, 8, "addon-schema", "error")]  # merged data.a is not a string


def test_check_payloads_object_names_are_checked_by_kind(tmp_path: Path) -> None:
    text = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: Bad_Name, namespace: x}
data: {a: b}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:controller:foo"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: team/reader, namespace: x}
rules: []
---
apiVersion: v1
kind: Service
metadata: {name: 1-web, namespace: x}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Namespace
metadata: {name: team.a}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: "Widget:1", namespace: x}
"""
    findings = check_payloads(make_fleet(tmp_path, {"names": {"names.yaml": text}}))
    assert [(f.position.line, f.position.col, f.rule_id, f.severity.value, f.message) for f in findings
            if f.severity is Severity.ERROR] == [
        (3, 12, "addon-schema", "error",
         "v1 ConfigMap Bad_Name: metadata.name 'Bad_Name': a lowercase RFC 1123 subdomain must consist of lower "
         "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
        (13, 12, "addon-schema", "error",
         "rbac.authorization.k8s.io/v1 Role team/reader: metadata.name 'team/reader': may not contain '/'"),
        (18, 12, "addon-schema", "error",
         "v1 Service 1-web: metadata.name '1-web': a DNS-1035 label must consist of lower case alphanumeric "
         "characters or '-', start with an alphabetic character, and end with an alphanumeric character"),
        (24, 12, "addon-schema", "error",
         "v1 Namespace team.a: metadata.name 'team.a': a lowercase RFC 1123 label must consist of lower case "
         "alphanumeric characters or '-', and must start and end with an alphanumeric character"),
        (28, 12, "addon-schema", "error",
         "example.com/v1 Widget Widget:1: metadata.name 'Widget:1': a lowercase RFC 1123 subdomain must consist "
         "of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
    ]


def test_check_payloads_name_of_254_characters_is_too_long(tmp_path: Path) -> None:
    name = ".".join(["a" * 63] * 4) + "aa"  # 254 characters, each label valid
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata: {{a: b}}\n"
    findings = check_payloads(make_fleet(tmp_path, {"long": {"long.yaml": text}}))
    assert triples(findings) == [("crs/long/long.yaml", 4, 3, "addon-schema", "error")]
    assert findings[0].message.endswith(": must be no more than 253 characters")


@pytest.mark.parametrize(
    ("text", "line", "col", "problem"),
    [
        ('[{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}, data: {a: b}}]\n', 1, 3,
         "json: Expecting property name enclosed in double quotes"),
        ('[\n  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}},\n]\n', 3, 1,
         "json: "),  # "Expecting value" (3.11) or "Illegal trailing comma..." (3.13)
        ('[{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}}]\n'
         '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: x}\n', 2, 1, "json: Extra data"),
    ],
    ids=["yaml-flow-syntax", "trailing-comma", "second-document"],
)
def test_check_payloads_json_list_that_is_not_strict_json_is_a_parse_error(
    tmp_path: Path, text: str, line: int, col: int, problem: str
) -> None:
    # the CRS controller ignores the json.Unmarshal error of a JSON-list payload and applies nothing of it
    findings = check_payloads(make_fleet(tmp_path, {"list": {"list.json": text}}))
    assert triples(findings) == [("crs/list/list.json", line, col, "parse", "error")]
    assert findings[0].message.startswith(problem)
    assert ": the file starts with '[', so the ClusterResourceSet controller" in findings[0].message


@pytest.mark.parametrize(("text", "line"), [
    ("%YAML 1.2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n", 1),
    ("%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n", 1),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n...\n%TAG !e! tag:example.com,2024:\n"
     "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: x}\n", 5),
], ids=["yaml-1.2", "yaml-1.1", "tag-before-the-second-document"])
def test_check_payloads_yaml_directive_is_a_parse_error(tmp_path: Path, text: str, line: int) -> None:
    # PyYAML reads these; the CRS controller cuts the payload at `---` lines and go-yaml then refuses the
    # part holding only the directive, so nothing of the resource is applied
    findings = check_payloads(make_fleet(tmp_path, {"flags": {"flags.yaml": text}}))
    assert triples(findings) == [("crs/flags/flags.yaml", line, 1, "parse", "error")]
    assert "directive: the ClusterResourceSet controller splits a payload at its '---' lines" in findings[0].message
    plain = text.replace("%YAML 1.2\n", "").replace("%YAML 1.1\n", "").replace("%TAG !e! tag:example.com,2024:\n", "")
    assert check_payloads(make_fleet(tmp_path / "plain", {"flags": {"flags.yaml": plain}})) == []


def test_check_payloads_list_after_32_bytes_of_space_is_a_yaml_list_not_a_json_list(tmp_path: Path) -> None:
    # isJSONList only peeks 32 bytes: past them the controller reads YAML, and a list is not an object
    text = " " * 40 + '[{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}}]\n'
    findings = check_payloads(make_fleet(tmp_path, {"list": {"list.json": text}}))
    assert triples(findings) == [("crs/list/list.json", 1, 41, "addon-schema", "error")]
    assert "expected a Kubernetes object (a mapping), got a list" in findings[0].message


def test_check_payloads_namespace_of_cluster_scoped_kinds_is_not_checked(tmp_path: Path) -> None:
    # the API server drops metadata.namespace of a cluster-scoped object instead of validating it;
    # built-in kinds and kinds whose CRD an addon ships with scope Cluster; namespaced kinds still fail
    crd = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n"
           "spec:\n  group: example.com\n  scope: Cluster\n  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n"
           "  versions:\n  - name: v1\n    served: true\n    storage: true\n"
           "    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n")
    text = ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: Not_A_Label\n"
            "rules: []\n"
            "---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: Not_A_Label\n"
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n  namespace: Not_A_Label\n"
            "rules: []\n")
    fleet = make_fleet(tmp_path, {"scope": {"crd.yaml": crd, "objects.yaml": text}})
    findings = [f for f in check_payloads(fleet) if f.severity.value == "error"]
    assert triples(findings) == [("crs/scope/objects.yaml", 18, 3, "addon-schema", "error")]  # the Role only
    assert "metadata.namespace 'Not_A_Label': must be a DNS-1123 label" in findings[0].message


WORKLOAD = """\
apiVersion: apps/v1
kind: {kind}
metadata: {{name: agent, namespace: kube-system}}
spec:
  selector: {selector}
  template:
    metadata:
      labels: {{app: agent, tier: node}}
    spec:
      containers: [{{name: agent, image: registry.example.com/agent:1.0}}]
"""


def test_check_payloads_workload_selector_must_select_its_pod_template(tmp_path: Path) -> None:
    """The API server's apps/v1 validation: a selector that does not select the template's labels, or an
    empty one, rejects the object (and so fails the ClusterResourceSet)."""
    files = {
        "mismatch.yaml": WORKLOAD.format(kind="Deployment", selector="{matchLabels: {app: agnet}}"),
        "empty.yaml": WORKLOAD.format(kind="DaemonSet", selector="{}"),
        "expression.yaml": WORKLOAD.format(kind="StatefulSet", selector="{matchExpressions: [{key: tier, operator: In, values: [edge]}]}"),
        "ok.yaml": WORKLOAD.format(kind="Deployment", selector="{matchLabels: {app: agent}, matchExpressions: [{key: tier, operator: Exists}]}"),
        "unparsable.yaml": WORKLOAD.format(kind="ReplicaSet", selector="{matchExpressions: [{key: app, operator: In}]}"),
    }
    fleet = make_fleet(tmp_path, {"agent": files})
    findings = [f for f in check_payloads(fleet) if f.severity is Severity.ERROR]
    assert [(f.position.file, f.position.line, f.pointer) for f in findings] == [
        ("crs/agent/empty.yaml", 5, "/spec/selector"),
        ("crs/agent/expression.yaml", 8, "/spec/template/metadata/labels"),
        ("crs/agent/mismatch.yaml", 8, "/spec/template/metadata/labels"),
        ("crs/agent/unparsable.yaml", 5, "/spec/selector"),
    ]
    assert "values set can't be empty" in findings[3].message
    assert "empty selector is invalid for daemonset" in findings[0].message
    assert "`selector` does not match template `labels` (selector 'app=agnet')" in findings[2].message


def test_check_payloads_misspelt_required_field_is_one_finding_at_the_typo(tmp_path: Path) -> None:
    """A typo of a required field is one problem: the unknown field, with the name it resembles."""
    policy = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: default}\n"
              "spec:\n  podSelectr: {}\n  policyTypes: [Ingress]\n")
    fleet = make_fleet(tmp_path, {"np": {"np.yaml": policy}})
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/np/np.yaml", 5, 3, "addon-schema", "error")]
    assert "unknown field 'podSelectr'; did you mean 'podSelector'?" in findings[0].message


def test_check_payloads_misspelt_metadata_is_one_finding_at_the_typo(tmp_path: Path) -> None:
    binding = ("apiVersion: v1\nkind: ServiceAccount\nmetdata: {name: reader, namespace: default}\n")
    fleet = make_fleet(tmp_path, {"sa": {"sa.yaml": binding}})
    findings = check_payloads(fleet)
    assert triples(findings) == [("crs/sa/sa.yaml", 3, 1, "addon-schema", "error")]
    assert "metadata is missing; 'metdata' looks like a misspelling of it" in findings[0].message


def test_check_payloads_api_not_served_suggests_a_version_every_cluster_serves(tmp_path: Path) -> None:
    """1.29 serves flowcontrol v1beta3 and v1, 1.33 only v1: the advice must work on both."""
    schema = ("apiVersion: flowcontrol.apiserver.k8s.io/v1beta2\nkind: FlowSchema\nmetadata: {name: f}\n"
              "spec: {priorityLevelConfiguration: {name: global-default}}\n")
    clusters = {"a": cluster_yaml("a", "v1.29.4"), "b": cluster_yaml("b", "v1.33.1")}
    fleet = make_fleet(tmp_path, {"fs": {"fs.yaml": schema}}, clusters=clusters)
    (finding,) = check_payloads(fleet)
    assert "Kubernetes 1.29, 1.33 do not serve flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema" in finding.message
    assert finding.message.endswith("; use flowcontrol.apiserver.k8s.io/v1")


def test_check_payloads_identity_typos_and_missing_fields_are_each_one_finding(tmp_path: Path) -> None:
    docs = ("apiVersion: v1\nmetdata: {name: cm1}\ndata: {a: b}\n---\n"                       # kind missing, metadata misspelt
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {nme: cm2, namespace: default}\ndata: {a: b}\n---\n"   # name misspelt
            "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec:\n"
            "  ports: [{nodeport: 30080, targetPort: 80}]\n")  # an optional field miscased, a required one missing
    fleet = make_fleet(tmp_path, {"t": {"t.yaml": docs}})
    findings = check_payloads(fleet)
    assert [(f.position.line, f.position.col) for f in findings] == [(1, 1), (2, 1), (7, 12), (14, 11), (14, 12)]
    messages = [f.message for f in findings]
    assert "kind is missing" in messages[0] and "'metdata' looks like a misspelling" in messages[1]
    assert "metadata.name is missing; 'nme' looks like a misspelling of it" in messages[2]
    assert "missing required field 'port'" in messages[3]
    assert "unknown field 'nodeport'" in messages[4] and "did you mean" not in messages[4]
