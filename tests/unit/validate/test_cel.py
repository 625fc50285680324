"""Tests for fleetgen.validate.cel (CRD CEL rules) and fleetgen.validate.cel_k8s (Kubernetes CEL functions).

Objects are hand-written dicts shaped like the upstream objects; schemas are the real pinned CRDs
read from the upstream mirror (../shared/upstream).
"""

from __future__ import annotations

import copy
import functools
from datetime import timedelta
from pathlib import Path
from typing import Any

import cel
import pytest
import yaml

from fleetgen.findings import Position, Severity
from fleetgen.render.base import RenderedObject
from fleetgen.sourcemap import SourceMap
from fleetgen.validate import cel_k8s
from fleetgen.validate.cel import check_cel, compile_rules, parse_field_path, unsupported_rules

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The pinned releases (DESIGN.md "Pinned upstream versions"): org/repo/version in the mirror.
PINNED_RELEASES = (
    "kubernetes-sigs/cluster-api/v1.12.11",
    "kubernetes-sigs/cluster-api-provider-kubevirt/v0.11.2",
    "ionos-cloud/cluster-api-provider-proxmox/v0.9.0",
    "kubernetes-sigs/cluster-api-ipam-provider-in-cluster/v1.0.3",
    "rancher/fleet/v0.16.1",
    "fluxcd/source-controller/v1.9.1",
    "fluxcd/kustomize-controller/v1.9.4",
)

CAPMOX = "ionos-cloud/cluster-api-provider-proxmox/v0.9.0/config/crd/bases"
CAPI = "kubernetes-sigs/cluster-api/v1.12.11"
CAPK = "kubernetes-sigs/cluster-api-provider-kubevirt/v0.11.2/config/crd/bases"
FLEET_CRDS = "rancher/fleet/v0.16.1/charts/fleet-crd/templates/crds.yaml"
FLUX_SC = "fluxcd/source-controller/v1.9.1/config/crd/bases"


@functools.cache
def _load_crds(path: str) -> tuple[dict[str, Any], ...]:
    with open(path, encoding="utf-8") as fh:
        docs = list(yaml.load_all(fh, Loader=_Loader))
    return tuple(d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition")


def crd_schema(upstream: Path, relpath: str, kind: str, version: str) -> dict[str, Any]:
    """The openAPIV3Schema of one served version of one CRD in the mirror."""
    for crd in _load_crds(str(upstream / relpath)):
        if crd["spec"]["names"]["kind"] == kind:
            for v in crd["spec"]["versions"]:
                if v["name"] == version:
                    return v["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]
    raise AssertionError(f"{kind} {version} not found in {relpath}")


def rendered(manifest: dict[str, Any], **kwargs: Any) -> RenderedObject:
    return RenderedObject(manifest, SourceMap("clusters/x.yaml"), **kwargs)


def messages(findings: list[Any], rule_id: str = "cel") -> list[str]:
    return [f.message for f in findings if f.rule_id == rule_id]


# ---------------------------------------------------------------------------------------------
# Fixtures: real schemas, upstream-shaped objects
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pmt_schema(upstream: Path) -> dict[str, Any]:
    return crd_schema(
        upstream,
        f"{CAPMOX}/infrastructure.cluster.x-k8s.io_proxmoxmachinetemplates.yaml",
        "ProxmoxMachineTemplate",
        "v1alpha2",
    )


@pytest.fixture(scope="module")
def pc_schema(upstream: Path) -> dict[str, Any]:
    return crd_schema(
        upstream,
        f"{CAPMOX}/infrastructure.cluster.x-k8s.io_proxmoxclusters.yaml",
        "ProxmoxCluster",
        "v1alpha2",
    )


def proxmox_machine_template(**spec_changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "sourceNode": "pve1",
        "templateID": 100,
        "numSockets": 1,
        "numCores": 2,
        "memoryMiB": 4096,
        "disks": {"bootVolume": {"disk": "scsi0", "sizeGb": 20}},
        "network": {
            "networkDevices": [
                {
                    "name": "net0",
                    "bridge": "vmbr0",
                    "model": "virtio",
                    "ipPoolRef": [
                        {"apiGroup": "ipam.cluster.x-k8s.io", "kind": "InClusterIPPool", "name": "kv-demo-v4"}
                    ],
                },
            ],
        },
    }
    spec.update(spec_changes)
    return {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha2",
        "kind": "ProxmoxMachineTemplate",
        "metadata": {"name": "pve-demo-md-0-1a2b3c", "namespace": "clusters"},
        "spec": {"template": {"spec": spec}},
    }


def proxmox_cluster(**spec_changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "controlPlaneEndpoint": {"host": "10.10.10.9", "port": 6443},
        "ipv4Config": {"addresses": ["10.10.10.10-10.10.10.20"], "prefix": 24, "gateway": "10.10.10.1"},
        "dnsServers": ["10.10.10.1"],
        "allowedNodes": ["pve1"],
    }
    spec.update(spec_changes)
    return {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha2",
        "kind": "ProxmoxCluster",
        "metadata": {"name": "pve-demo", "namespace": "clusters"},
        "spec": spec,
    }


# ---------------------------------------------------------------------------------------------
# Every rule of every pinned CRD is supported
# ---------------------------------------------------------------------------------------------


def _pinned_schemas(upstream: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for release in PINNED_RELEASES:
        files = sorted(p for p in (upstream / release).rglob("*.yaml") if "crd" in p.as_posix())
        assert files, f"no CRD files for {release} in the mirror"
        for path in files:
            for crd in _load_crds(str(path)):
                for version in crd["spec"]["versions"]:
                    name = f"{crd['spec']['names']['kind']}/{version['name']}"
                    out.append((name, version["schema"]["openAPIV3Schema"]))
    return out


def test_unsupported_rules_every_pinned_crd_empty(upstream: Path) -> None:
    schemas = _pinned_schemas(upstream)
    unsupported = {name: unsupported_rules(schema) for name, schema in schemas}
    assert {k: v for k, v in unsupported.items() if v} == {}
    total = sum(len(compile_rules(schema).rules) for _, schema in schemas)
    assert total >= 170, "the pinned CRDs carry 173 rules; the walk must find them all"


def test_unsupported_rules_unknown_function_listed() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-validations": [
                    {"rule": "self.noSuchFunction()"},
                    {"rule": "self.?a.orValue(1) == 1"},
                    {"rule": "self.all(k, v, v)"},
                    {"rule": "size(self) > 0"},
                ],
            }
        },
    }
    problems = unsupported_rules(schema)
    assert len(problems) == 3
    assert problems[0].startswith("spec: self.noSuchFunction(): unsupported function(s): noSuchFunction")
    assert "cannot be compiled" in problems[1]
    assert problems[2].endswith("unsupported function(s): all")  # two-variable comprehension


def test_check_cel_unsupported_rule_warns_once_per_object() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "x-kubernetes-validations": [{"rule": "self.frobnicate()"}],
                        },
                    }
                },
            }
        },
    }
    obj = rendered(
        {"apiVersion": "v1", "kind": "X", "metadata": {"name": "x"}, "spec": {"items": [{"a": 1}, {"a": 2}]}}
    )
    findings = check_cel(obj, schema)
    assert [(f.rule_id, f.severity) for f in findings] == [("cel-unsupported", Severity.WARNING)]
    assert "self.frobnicate()" in findings[0].message
    assert "frobnicate" in findings[0].message.rsplit(":", 1)[1]


def test_check_cel_runtime_type_error_warns_not_passes() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-validations": [{"rule": "self.port > 0", "message": "port must be positive"}],
            }
        },
    }
    obj = rendered({"spec": {"port": "6443"}})
    findings = check_cel(obj, schema)
    assert [f.rule_id for f in findings] == ["cel-unsupported"]
    assert "self.port > 0" in findings[0].message


# ---------------------------------------------------------------------------------------------
# CAPMOX
# ---------------------------------------------------------------------------------------------


def test_proxmox_machine_template_format_with_full_false_fails(pmt_schema: dict[str, Any]) -> None:
    obj = rendered(proxmox_machine_template(format="qcow2", full=False))
    findings = check_cel(obj, pmt_schema)
    assert [(f.rule_id, f.severity, f.message, f.pointer) for f in findings] == [
        (
            "cel",
            Severity.ERROR,
            "spec.template.spec: Must set full=true when specifying format",
            "/spec/template/spec",
        )
    ]
    assert findings[0].object is not None and findings[0].object.kind == "ProxmoxMachineTemplate"
    assert findings[0].position == Position("clusters/x.yaml", 1, 1)


def test_proxmox_machine_template_format_without_full_passes_full_defaults_true(pmt_schema: dict[str, Any]) -> None:
    # The API server defaults `full` (CRD default: true) before it runs the rule, so this is accepted.
    assert "full" not in proxmox_machine_template(format="qcow2")["spec"]["template"]["spec"]
    obj = rendered(proxmox_machine_template(format="qcow2"))
    assert check_cel(obj, pmt_schema) == []


def test_proxmox_machine_template_format_with_full_null_passes(pmt_schema: dict[str, Any]) -> None:
    # `full` is not nullable: the server replaces the null with the default before validating.
    obj = rendered(proxmox_machine_template(format="qcow2", full=None))
    assert check_cel(obj, pmt_schema) == []


def test_proxmox_machine_template_format_with_full_true_passes(pmt_schema: dict[str, Any]) -> None:
    obj = rendered(proxmox_machine_template(format="qcow2", full=True, storage="local-lvm"))
    assert check_cel(obj, pmt_schema) == []


def test_proxmox_machine_template_storage_with_linked_clone_fails(pmt_schema: dict[str, Any]) -> None:
    obj = rendered(proxmox_machine_template(storage="local-lvm", full=False))
    assert messages(check_cel(obj, pmt_schema)) == [
        "spec.template.spec: Must set full=true when specifying storage"
    ]


def test_proxmox_machine_template_minimal_passes(pmt_schema: dict[str, Any]) -> None:
    assert check_cel(rendered(proxmox_machine_template()), pmt_schema) == []


def test_proxmox_machine_template_mtu_invalid_fails_at_item(pmt_schema: dict[str, Any]) -> None:
    manifest = proxmox_machine_template()
    devices = manifest["spec"]["template"]["spec"]["network"]["networkDevices"]
    devices.append({"name": "net1", "bridge": "vmbr1", "mtu": 1500})
    devices.append({"name": "net2", "bridge": "vmbr2", "mtu": 100})
    findings = check_cel(rendered(manifest), pmt_schema)
    assert [(f.message, f.pointer) for f in findings] == [
        (
            "spec.template.spec.network.networkDevices[2].mtu: invalid MTU value",
            "/spec/template/spec/network/networkDevices/2/mtu",
        )
    ]


def test_proxmox_machine_template_ip_pool_ref_wrong_group_fails(pmt_schema: dict[str, Any]) -> None:
    manifest = proxmox_machine_template()
    manifest["spec"]["template"]["spec"]["network"]["networkDevices"][0]["ipPoolRef"] = [
        {"apiGroup": "example.com", "kind": "Pool", "name": "p"}
    ]
    assert messages(check_cel(rendered(manifest), pmt_schema)) == [
        "spec.template.spec.network.networkDevices[0].ipPoolRef[0]: ipPoolRef allows only IPAM apiGroup ipam.cluster.x-k8s.io",
        "spec.template.spec.network.networkDevices[0].ipPoolRef[0]: ipPoolRef allows either InClusterIPPool or GlobalInClusterIPPool",
    ]


def test_proxmox_machine_template_absent_optional_field_not_evaluated(pmt_schema: dict[str, Any]) -> None:
    manifest = proxmox_machine_template()
    manifest["spec"]["template"]["spec"]["network"]["networkDevices"][0].pop("ipPoolRef")
    assert check_cel(rendered(manifest), pmt_schema) == []


def test_proxmox_boot_volume_changed_against_old_fails(pmt_schema: dict[str, Any]) -> None:
    new = proxmox_machine_template(disks={"bootVolume": {"disk": "scsi0", "sizeGb": 40}})
    old = proxmox_machine_template(disks={"bootVolume": {"disk": "scsi0", "sizeGb": 20}})
    findings = check_cel(rendered(new), pmt_schema, old=old)
    assert [(f.message, f.pointer) for f in findings] == [
        ("spec.template.spec.disks.bootVolume: Value is immutable", "/spec/template/spec/disks/bootVolume")
    ]


def test_proxmox_boot_volume_unchanged_against_old_passes(pmt_schema: dict[str, Any]) -> None:
    obj = proxmox_machine_template()
    assert check_cel(rendered(obj), pmt_schema, old=copy.deepcopy(obj)) == []


def test_proxmox_boot_volume_changed_without_old_skipped(pmt_schema: dict[str, Any]) -> None:
    new = proxmox_machine_template(disks={"bootVolume": {"disk": "scsi0", "sizeGb": 40}})
    assert check_cel(rendered(new), pmt_schema) == []


def test_proxmox_boot_volume_old_without_disks_skipped(pmt_schema: dict[str, Any]) -> None:
    new = proxmox_machine_template(disks={"bootVolume": {"disk": "scsi0", "sizeGb": 40}})
    old = proxmox_machine_template()
    del old["spec"]["template"]["spec"]["disks"]
    assert check_cel(rendered(new), pmt_schema, old=old) == []


def test_proxmox_cluster_port_zero_fails(pc_schema: dict[str, Any]) -> None:
    obj = rendered(proxmox_cluster(controlPlaneEndpoint={"host": "10.10.10.9", "port": 0}))
    findings = check_cel(obj, pc_schema)
    assert [(f.message, f.pointer) for f in findings] == [
        ("spec.controlPlaneEndpoint: port must be within 1-65535", "/spec/controlPlaneEndpoint")
    ]


def test_proxmox_cluster_valid_passes(pc_schema: dict[str, Any]) -> None:
    assert check_cel(rendered(proxmox_cluster()), pc_schema) == []


def test_proxmox_cluster_ipv6_only_passes(pc_schema: dict[str, Any]) -> None:
    manifest = proxmox_cluster(
        ipv6Config={"addresses": ["2001:db8::10-2001:db8::20"], "prefix": 64, "gateway": "2001:db8::1"}
    )
    del manifest["spec"]["ipv4Config"]
    assert check_cel(rendered(manifest), pc_schema) == []


def test_proxmox_cluster_no_ip_config_fails(pc_schema: dict[str, Any]) -> None:
    manifest = proxmox_cluster()
    del manifest["spec"]["ipv4Config"]
    assert messages(check_cel(rendered(manifest), pc_schema)) == [
        "spec: at least one ip config must be set, either ipv4Config or ipv6Config (no such key: ipv6Config)"
    ]


def test_proxmox_cluster_empty_addresses_fails(pc_schema: dict[str, Any]) -> None:
    obj = rendered(proxmox_cluster(ipv4Config={"addresses": [], "prefix": 24, "gateway": "10.10.10.1"}))
    assert messages(check_cel(obj, pc_schema)) == ["spec.ipv4Config: IPv4Config addresses must be provided"]


# ---------------------------------------------------------------------------------------------
# CAPI, CAPK, Fleet, Flux
# ---------------------------------------------------------------------------------------------


def kubeadm_config_template(extra_args: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta2",
        "kind": "KubeadmConfigTemplate",
        "metadata": {"name": "kv-demo-md-0", "namespace": "clusters"},
        "spec": {
            "template": {
                "spec": {
                    "clusterConfiguration": {"apiServer": {"extraArgs": extra_args}},
                    "joinConfiguration": {
                        "nodeRegistration": {
                            "kubeletExtraArgs": [
                                {
                                    "name": "provider-id",
                                    "value": "kubevirt://{{ ds.meta_data.local_hostname }}",
                                }
                            ]
                        }
                    },
                }
            }
        },
    }


def test_kubeadm_config_template_duplicate_extra_arg_fails(upstream: Path) -> None:
    schema = crd_schema(
        upstream,
        f"{CAPI}/bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigtemplates.yaml",
        "KubeadmConfigTemplate",
        "v1beta2",
    )
    obj = rendered(
        kubeadm_config_template(
            [{"name": "audit-log-path", "value": "/a"}, {"name": "audit-log-path", "value": "/b"}]
        )
    )
    findings = check_cel(obj, schema)
    assert [(f.message, f.pointer) for f in findings] == [
        (
            "spec.template.spec.clusterConfiguration.apiServer.extraArgs: extraArgs name must be unique",
            "/spec/template/spec/clusterConfiguration/apiServer/extraArgs",
        )
    ]


def test_kubeadm_config_template_unique_extra_args_passes(upstream: Path) -> None:
    schema = crd_schema(
        upstream,
        f"{CAPI}/bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigtemplates.yaml",
        "KubeadmConfigTemplate",
        "v1beta2",
    )
    obj = rendered(
        kubeadm_config_template(
            [{"name": "audit-log-path", "value": "/a"}, {"name": "audit-log-maxage", "value": "30"}]
        )
    )
    assert check_cel(obj, schema) == []


def kubevirt_cluster_template(service_type: str) -> dict[str, Any]:
    return {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha1",
        "kind": "KubevirtClusterTemplate",
        "metadata": {"name": "kv-demo", "namespace": "clusters"},
        "spec": {"template": {"spec": {"controlPlaneServiceTemplate": {"spec": {"type": service_type}}}}},
    }


def test_kubevirt_cluster_template_spec_changed_fails(upstream: Path) -> None:
    schema = crd_schema(
        upstream,
        f"{CAPK}/infrastructure.cluster.x-k8s.io_kubevirtclustertemplates.yaml",
        "KubevirtClusterTemplate",
        "v1alpha1",
    )
    findings = check_cel(
        rendered(kubevirt_cluster_template("LoadBalancer")),
        schema,
        old=kubevirt_cluster_template("ClusterIP"),
    )
    assert [(f.message, f.pointer) for f in findings] == [
        ("spec: KubevirtClusterTemplate Spec is immutable", "/spec")
    ]


def test_kubevirt_cluster_template_spec_unchanged_passes(upstream: Path) -> None:
    schema = crd_schema(
        upstream,
        f"{CAPK}/infrastructure.cluster.x-k8s.io_kubevirtclustertemplates.yaml",
        "KubevirtClusterTemplate",
        "v1alpha1",
    )
    assert (
        check_cel(
            rendered(kubevirt_cluster_template("ClusterIP")),
            schema,
            old=kubevirt_cluster_template("ClusterIP"),
        )
        == []
    )
    assert check_cel(rendered(kubevirt_cluster_template("LoadBalancer")), schema) == []


def fleet_git_repo(interval: str) -> dict[str, Any]:
    return {
        "apiVersion": "fleet.cattle.io/v1alpha1",
        "kind": "GitRepo",
        "metadata": {"name": "fleet", "namespace": "fleet-local"},
        "spec": {
            "repo": "https://git.example.com/platform/fleet.git",
            "branch": "main",
            "paths": ["fleet/clusters"],
            "pollingInterval": interval,
        },
    }


@pytest.mark.parametrize(
    ("interval", "ok"),
    [
        ("15s", True),
        ("1h30m", True),
        ("1.5h", True),
        ("100µs", True),
        ("0", True),
        ("2562047h", True),
        ("1d", False),
        ("2w", False),
        ("15", False),
        ("2562048h", False),
    ],
    ids=["15s", "1h30m", "fraction", "micro-sign", "zero", "max", "days", "weeks", "no-unit", "overflow"],
)
def test_fleet_git_repo_polling_interval_duration_rule(upstream: Path, interval: str, ok: bool) -> None:
    schema = crd_schema(upstream, FLEET_CRDS, "GitRepo", "v1alpha1")
    findings = check_cel(rendered(fleet_git_repo(interval)), schema)
    if ok:
        assert findings == []
    else:
        assert [(f.rule_id, f.pointer) for f in findings] == [("cel", "/spec/pollingInterval")]
        assert findings[0].message.startswith("spec.pollingInterval: must be a valid Go duration")


def flux_git_repository(**spec_changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "interval": "1m0s",
        "url": "https://git.example.com/platform/fleet.git",
        "ref": {"branch": "main"},
    }
    spec.update(spec_changes)
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "fleet", "namespace": "flux-system"},
        "spec": spec,
    }


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({"serviceAccountName": "sa", "provider": "aws"}, True),
        ({"serviceAccountName": "sa", "provider": "azure"}, True),
        ({"serviceAccountName": "sa", "provider": "generic"}, False),
        ({"serviceAccountName": "sa"}, False),
        ({"provider": "generic"}, True),
    ],
    ids=["aws", "azure", "generic", "no-provider", "no-service-account"],
)
def test_flux_git_repository_service_account_needs_cloud_provider(
    upstream: Path, changes: dict[str, Any], ok: bool
) -> None:
    schema = crd_schema(
        upstream, f"{FLUX_SC}/source.toolkit.fluxcd.io_gitrepositories.yaml", "GitRepository", "v1"
    )
    expected = [] if ok else ["spec: serviceAccountName can only be set when provider is 'azure' or 'aws'"]
    assert messages(check_cel(rendered(flux_git_repository(**changes)), schema)) == expected


# ---------------------------------------------------------------------------------------------
# The rules of the pinned CRDs, case by case (the compatibility table used to choose the library)
# ---------------------------------------------------------------------------------------------

_DURATION_RULE = (
    "self == '0' || (self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') "
    "&& duration(self) <= duration('2562047h'))"
)
_QUALIFIED_KEY_RULE = (
    "self.contains('/') ? ( self.split('/') [0].size() <= 253 && self.split('/') [1].size() "
    "<= 63 && self.split('/').size() == 2 ) : self.size() <= 63"
)
PINNED_RULE_CASES: list[tuple[str, Any, Any, bool]] = [
    (
        "!(self in ['Ready','Available','HealthCheckSucceeded','OwnerRemediated','ExternallyRemediated'])",
        "Ready",
        None,
        False,
    ),
    (
        "!(self in ['Ready','Available','HealthCheckSucceeded','OwnerRemediated','ExternallyRemediated'])",
        "DiskPressure",
        None,
        True,
    ),
    (
        "!has(self.configMapRef) || !has(self.secretRef)",
        {"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}},
        None,
        False,
    ),
    ("has(self.configMapRef) || has(self.secretRef)", {}, None, False),
    ("has(self.configMapRef) || has(self.secretRef)", {"secretRef": {"name": "x"}}, None, True),
    ("(self > 0 && self < 254) || (self > 255)", 254, None, False),
    ("(self > 0 && self < 254) || (self > 255)", 100, None, True),
    ("(self > 0 && self < 32765) || (self > 32766)", 32766, None, False),
    ("(self > 0 && self < 32765) || (self > 32766)", 40000, None, True),
    ("[has(self.sourceNode), has(self.templateSelector)].exists_one(c, c)", {"sourceNode": "a"}, None, True),
    (
        "[has(self.sourceNode), has(self.templateSelector)].exists_one(c, c)",
        {"sourceNode": "a", "templateSelector": {"matchTags": ["x"]}},
        None,
        False,
    ),
    ("[has(self.templateID), has(self.templateSelector)].exists_one(c, c)", {}, None, False),
    (
        "has(self.templateSelector) || (has(self.templateID) && has(self.sourceNode))",
        {"templateID": 1},
        None,
        False,
    ),
    (
        "has(self.templateSelector) || (has(self.templateID) && has(self.sourceNode))",
        {"templateID": 1, "sourceNode": "pve"},
        None,
        True,
    ),
    ("self != 'net0'", "net0", None, False),
    ("self != 'net0'", "net1", None, True),
    (_DURATION_RULE, "1h30m", None, True),
    (_DURATION_RULE, "3µs", None, True),
    (_DURATION_RULE, "1d", None, False),
    ("self == 1 || ( self >= 576 && self <= 65520)", 1, None, True),
    ("self == 1 || ( self >= 576 && self <= 65520)", 575, None, False),
    ("self == 1 || (self >= 576 && self <= 65520)", 65521, None, False),
    ("self == oldSelf", {"sizeGb": 20, "disk": "scsi0"}, {"sizeGb": 20, "disk": "scsi0"}, True),
    ("self == oldSelf", {"sizeGb": 30, "disk": "scsi0"}, {"sizeGb": 20, "disk": "scsi0"}, False),
    ("self.addresses.size() > 0", {"addresses": []}, None, False),
    ("self.all(x, self.exists_one(y, x == y))", ["a", "b"], None, True),
    ("self.all(x, self.exists_one(y, x == y))", ["a", "a"], None, False),
    ("self.all(x, self.exists_one(y, x.name == y.name))", [{"name": "a"}, {"name": "a"}], None, False),
    ("self.apiGroup == 'ipam.cluster.x-k8s.io'", {"apiGroup": "x", "kind": "K", "name": "p"}, None, False),
    (_QUALIFIED_KEY_RULE, "node-role.kubernetes.io/worker", None, True),
    (_QUALIFIED_KEY_RULE, "a/b/c", None, False),
    (_QUALIFIED_KEY_RULE, "x" * 64, None, False),
    (_QUALIFIED_KEY_RULE, "é" * 63, None, True),
    ("self.end >= self.start", {"start": 200, "end": 100}, None, False),
    ("self.full || !has(self.storage)", {"full": False}, None, True),
    (
        "self.ipv4Config != null || self.ipv6Config != null",
        {"ipv4Config": None, "ipv6Config": None},
        None,
        False,
    ),
    (
        "self.ipv4PoolRef != null || self.ipv6PoolRef != null",
        {"name": "net1", "ipv4PoolRef": {"name": "p"}},
        None,
        True,
    ),
    ("self.kind == 'InClusterIPPool' || self.kind == 'GlobalInClusterIPPool'", {"kind": "Foo"}, None, False),
    ("self.port > 0 && self.port < 65536", {"host": "h", "port": 70000}, None, False),
]


@pytest.mark.parametrize(
    ("rule", "value", "old", "ok"),
    PINNED_RULE_CASES,
    ids=[f"case-{i}" for i in range(len(PINNED_RULE_CASES))],
)
def test_pinned_rule_case_matches_api_server(rule: str, value: Any, old: Any, ok: bool) -> None:
    schema = {"type": "object", "properties": {"v": {"x-kubernetes-validations": [{"rule": rule}]}}}
    findings = check_cel(rendered({"v": value}), schema, old=None if old is None else {"v": old})
    assert [f.rule_id for f in findings] == ([] if ok else ["cel"])


# ---------------------------------------------------------------------------------------------
# Rule fields, correlation and typing (synthetic schemas)
# ---------------------------------------------------------------------------------------------


def _object_schema(node: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"spec": node}}


def _converted_nullable_untyped_schema() -> dict[str, Any]:
    """A typeless nullable node (preserve-unknown-fields + oneOf), which the converter wraps in anyOf."""
    from fleetgen.schemas.convert import openapi_to_json_schema

    extra = {
        "x-kubernetes-preserve-unknown-fields": True,
        "nullable": True,
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
        "default": {"a": 1},
        "x-kubernetes-validations": [{"rule": "!has(self.a) || self.a > 0", "message": "a must be positive"}],
    }
    converted = openapi_to_json_schema(
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {"extra": extra}}}},
        api_version="example.com/v1", kind="Thing",
    )
    assert "anyOf" in converted["properties"]["spec"]["properties"]["extra"]  # (the form under test)
    return converted


def test_check_cel_rule_on_a_converted_nullable_typeless_node_runs() -> None:
    schema = _converted_nullable_untyped_schema()
    findings = check_cel(rendered({"apiVersion": "example.com/v1", "kind": "Thing", "spec": {"extra": {"a": -1}}}), schema)
    assert messages(findings) == ["spec.extra: a must be positive"]
    assert check_cel(rendered({"apiVersion": "example.com/v1", "kind": "Thing", "spec": {"extra": None}}), schema) == []


def test_check_cel_message_expression_used_for_message() -> None:
    schema = _object_schema(
        {
            "type": "object",
            "x-kubernetes-validations": [
                {
                    "rule": "self.replicas % 2 == 1",
                    "message": "static",
                    "messageExpression": "'replicas must be odd, got ' + string(self.replicas)",
                }
            ],
        }
    )
    assert messages(check_cel(rendered({"spec": {"replicas": 2}}), schema)) == [
        "spec: replicas must be odd, got 2"
    ]


def test_check_cel_message_expression_failing_falls_back_to_message() -> None:
    schema = _object_schema(
        {
            "type": "object",
            "x-kubernetes-validations": [
                {
                    "rule": "self.replicas % 2 == 1",
                    "message": "must be odd",
                    "messageExpression": "self.missing",
                }
            ],
        }
    )
    assert messages(check_cel(rendered({"spec": {"replicas": 2}}), schema)) == ["spec: must be odd"]


def test_check_cel_no_message_uses_failed_rule() -> None:
    schema = _object_schema({"type": "object", "x-kubernetes-validations": [{"rule": " self.a == 1 "}]})
    assert messages(check_cel(rendered({"spec": {"a": 2}}), schema)) == ["spec: failed rule: self.a == 1"]


def test_check_cel_field_path_and_reason_honoured() -> None:
    schema = _object_schema(
        {
            "type": "object",
            "x-kubernetes-validations": [
                {
                    "rule": "self.min <= self.max",
                    "message": "min must not exceed max",
                    "fieldPath": ".limits['max']",
                    "reason": "FieldValueForbidden",
                }
            ],
        }
    )
    findings = check_cel(rendered({"spec": {"min": 3, "max": 1}}), schema)
    assert [(f.message, f.pointer, f.hint) for f in findings] == [
        ("spec.limits.max: min must not exceed max", "/spec/limits/max", "reason: FieldValueForbidden")
    ]


def test_parse_field_path_quoted_names_split() -> None:
    assert parse_field_path(".a.b['c.d']['e\\'f']") == ("a", "b", "c.d", "e'f")
    with pytest.raises(ValueError):
        parse_field_path("a.b")


def _map_list_schema(list_type: str) -> dict[str, Any]:
    return _object_schema(
        {
            "type": "object",
            "properties": {
                "pools": {
                    "type": "array",
                    "x-kubernetes-list-type": list_type,
                    **({"x-kubernetes-list-map-keys": ["name"]} if list_type == "map" else {}),
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "size": {
                                "type": "integer",
                                "x-kubernetes-validations": [
                                    {"rule": "self >= oldSelf", "message": "cannot shrink"}
                                ],
                            },
                        },
                    },
                }
            },
        }
    )


def test_check_cel_map_list_correlated_by_key_fails_on_shrink() -> None:
    new = {"spec": {"pools": [{"name": "b", "size": 1}, {"name": "a", "size": 5}]}}
    old = {"spec": {"pools": [{"name": "a", "size": 5}, {"name": "b", "size": 3}]}}
    findings = check_cel(rendered(new), _map_list_schema("map"), old=old)
    assert [(f.message, f.pointer) for f in findings] == [
        ("spec.pools[0].size: cannot shrink", "/spec/pools/0/size")
    ]


def test_check_cel_map_list_key_left_to_its_default_correlates() -> None:
    # The API server defaults the key before correlating: an item without `name` is the "net0" one.
    schema = _map_list_schema("map")
    schema["properties"]["spec"]["properties"]["pools"]["items"]["properties"]["name"]["default"] = "net0"
    new = {"spec": {"pools": [{"size": 1}]}}
    old = {"spec": {"pools": [{"name": "net0", "size": 5}]}}
    findings = check_cel(rendered(new), schema, old=old)
    assert [(f.message, f.pointer) for f in findings] == [("spec.pools[0].size: cannot shrink", "/spec/pools/0/size")]


def test_check_cel_map_list_new_item_skips_transition_rule() -> None:
    new = {"spec": {"pools": [{"name": "c", "size": 1}]}}
    old = {"spec": {"pools": [{"name": "a", "size": 5}]}}
    assert check_cel(rendered(new), _map_list_schema("map"), old=old) == []


def test_check_cel_atomic_list_items_not_correlated() -> None:
    new = {"spec": {"pools": [{"name": "a", "size": 1}]}}
    old = {"spec": {"pools": [{"name": "a", "size": 5}]}}
    assert check_cel(rendered(new), _map_list_schema("atomic"), old=old) == []


def test_check_cel_map_values_correlated_by_key() -> None:
    schema = _object_schema(
        {
            "type": "object",
            "additionalProperties": {
                "type": "string",
                "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "immutable"}],
            },
        }
    )
    findings = check_cel(rendered({"spec": {"a": "1", "b": "2"}}), schema, old={"spec": {"a": "1", "b": "3"}})
    assert [(f.message, f.pointer) for f in findings] == [("spec.b: immutable", "/spec/b")]


def test_check_cel_optional_old_self_evaluated_on_create() -> None:
    schema = _object_schema(
        {
            "type": "object",
            "x-kubernetes-validations": [
                {
                    "rule": "oldSelf.hasValue() || self.v == 1",
                    "optionalOldSelf": True,
                    "message": "must start at 1",
                }
            ],
        }
    )
    assert messages(check_cel(rendered({"spec": {"v": 2}}), schema)) == ["spec: must start at 1"]
    assert check_cel(rendered({"spec": {"v": 2}}), schema, old={"spec": {"v": 1}}) == []


def test_check_cel_null_value_not_validated() -> None:
    schema = _object_schema({"type": ["object", "null"], "x-kubernetes-validations": [{"rule": "false"}]})
    assert check_cel(rendered({"spec": None}), schema) == []


def test_check_cel_all_of_rules_evaluated() -> None:
    schema = _object_schema(
        {
            "type": "object",
            "allOf": [
                {"x-kubernetes-validations": [{"rule": "self.a > 0", "message": "a must be positive"}]}
            ],
        }
    )
    assert messages(check_cel(rendered({"spec": {"a": 0}}), schema)) == ["spec: a must be positive"]


def test_check_cel_number_field_typed_as_double() -> None:
    schema = _object_schema(
        {
            "type": "object",
            "properties": {"ratio": {"type": "number"}},
            "x-kubernetes-validations": [{"rule": "self.ratio <= 1.5 && self.ratio * 2.0 > 0.0"}],
        }
    )
    assert check_cel(rendered({"spec": {"ratio": 1}}), schema) == []


def test_check_cel_duration_format_typed_as_duration() -> None:
    schema = _object_schema(
        {
            "type": "object",
            "properties": {"timeout": {"type": "string", "format": "duration"}},
            "x-kubernetes-validations": [{"rule": "self.timeout <= duration('1h')", "message": "at most 1h"}],
        }
    )
    assert check_cel(rendered({"spec": {"timeout": "30m"}}), schema) == []
    assert messages(check_cel(rendered({"spec": {"timeout": "2h"}}), schema)) == ["spec: at most 1h"]


def test_check_cel_position_follows_origin_to_spec() -> None:
    source = SourceMap("clusters/pve.yaml", {"/spec/proxmox": Position("clusters/pve.yaml", 14, 3)})
    obj = RenderedObject(
        proxmox_machine_template(format="raw", full=False),
        source,
        origin={"": "", "/spec/template/spec": "/spec/proxmox"},
    )
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "template": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "x-kubernetes-validations": [
                                    {
                                        "rule": "self.full || !has(self.format)",
                                        "message": "Must set full=true when specifying format",
                                    }
                                ],
                            }
                        },
                    }
                },
            }
        },
    }
    findings = check_cel(obj, schema)
    assert [(f.position, f.pointer) for f in findings] == [
        (Position("clusters/pve.yaml", 14, 3), "/spec/template/spec")
    ]


def test_compile_rules_same_schema_memoized(pmt_schema: dict[str, Any]) -> None:
    assert compile_rules(pmt_schema) is compile_rules(pmt_schema)
    assert compile_rules(copy.deepcopy(pmt_schema)).rules == compile_rules(pmt_schema).rules


def test_check_cel_schema_without_rules_returns_nothing() -> None:
    assert check_cel(rendered({"spec": {"a": 1}}), {"type": "object"}) == []


# ---------------------------------------------------------------------------------------------
# Kubernetes CEL functions (cel_k8s)
# ---------------------------------------------------------------------------------------------


def k8s_eval(expression: str, **variables: Any) -> Any:
    context = cel.Context(variables=variables, functions=cel_k8s.FUNCTIONS)
    return cel.evaluate(cel_k8s.rewrite_expression(expression), context)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("'µs'.size()", 2),
        ("size('héllo')", 5),
        ("size([1, 2, 3])", 3),
        ("duration('1h30m') == duration('90m')", True),
        ("duration('100µs') < duration('1ms')", True),
        ("'%s has %d nodes'.format(['pve', 3])", "pve has 3 nodes"),
        ("[1, 2, 3].isSorted()", True),
        ("[3, 1, 2].max()", 3),
        ("[1, 2, 2].lastIndexOf(2)", 2),
        ("'abcabc'.indexOf('c')", 2),
        ("'v1.33.1'.find('[0-9]+')", "1"),
        ("'a1b22'.findAll('[0-9]+')", ["1", "22"]),
        ("isURL('https://example.com:8443/p?q=1')", True),
        ("isURL('../relative')", False),
        ("url('https://[::1]:80/x').getHostname()", "::1"),
        ("url('https://example.com:80/x').getPort()", "80"),
        ("isIP('10.0.0.1') && !isIP('10.0.0.1%eth0') && !isIP('::ffff:10.0.0.1')", True),
        ("ip('10.0.0.1').family() == 4 && ip('fe80::1').isLinkLocalUnicast()", True),
        ("ip('192.168.1.1').isGlobalUnicast()", True),
        ("cidr('10.10.10.0/24').containsIP('10.10.10.9')", True),
        ("cidr('10.10.10.0/24').containsCIDR('10.10.0.0/16')", False),
        ("cidr('10.0.0.7/8').masked() == cidr('10.0.0.0/8')", True),
        ("cidr('10.0.0.7/8').prefixLength()", 8),
        ("quantity('1Gi') == quantity('1024Mi')", True),
        ("quantity('4Gi').isGreaterThan(quantity('4G'))", True),
        ("quantity('500m').isInteger()", False),
        ("quantity('2k').add(1).asInteger()", 2001),
        ("isQuantity('4GB')", False),
        ("semver('1.10.0').isGreaterThan(semver('1.9.9'))", True),
        ("semver('v1.33', true).minor()", 33),
        ("isSemver('v1.33.1')", False),
        ("format.dns1123Label().validate('kv-demo').hasValue()", False),
        ("format.dns1123Label().validate('KV_demo').hasValue()", True),
        ("format.named('labelValue').value().validate('ok').hasValue()", False),
        ("!format.named('nope').hasValue()", True),
    ],
)
def test_k8s_function_evaluates_like_apiserver(expression: str, expected: Any) -> None:
    assert k8s_eval(expression) == expected


def test_parse_go_duration_go_syntax() -> None:
    assert cel_k8s.parse_go_duration("1.5h") == timedelta(minutes=90)
    assert cel_k8s.parse_go_duration("-2m3s") == -timedelta(minutes=2, seconds=3)
    assert cel_k8s.parse_go_duration("3μs") == timedelta(microseconds=3)
    for bad in ("1d", "1h30x", "", "h", "2562048h"):
        with pytest.raises(ValueError):
            cel_k8s.parse_go_duration(bad)


def test_rewrite_expression_skips_literals_and_comments() -> None:
    source = (
        "size(self) > 0 && 'size(x)' != r\"duration(y)\" && self.size () < 3 // size(z)\n && self.sizeGb > 0"
    )
    assert cel_k8s.rewrite_expression(source) == (
        "_k8s_size(self) > 0 && 'size(x)' != r\"duration(y)\" && self._k8s_size () < 3 // size(z)\n"
        " && self.sizeGb > 0"
    )


def test_k8s_function_error_becomes_cel_finding() -> None:
    schema = _object_schema(
        {
            "type": "object",
            "x-kubernetes-validations": [
                {
                    "rule": "quantity(self.memory).isGreaterThan(quantity('1Gi'))",
                    "message": "memory must exceed 1Gi",
                }
            ],
        }
    )
    findings = check_cel(rendered({"spec": {"memory": "4GB"}}), schema)
    assert [f.rule_id for f in findings] == ["cel"]
    assert findings[0].message.startswith("spec: memory must exceed 1Gi (quantities must match")


def test_check_cel_converted_json_schema_same_findings(upstream: Path) -> None:
    convert = pytest.importorskip("fleetgen.schemas.convert")
    path = upstream / f"{CAPMOX}/infrastructure.cluster.x-k8s.io_proxmoxmachinetemplates.yaml"
    (crd,) = _load_crds(str(path))
    converted = {s.api_version: s.schema for s in convert.crd_to_json_schemas(crd)}
    schema = converted["infrastructure.cluster.x-k8s.io/v1alpha2"]
    assert unsupported_rules(schema) == []
    new = proxmox_machine_template(
        format="qcow2", full=False, disks={"bootVolume": {"disk": "scsi0", "sizeGb": 40}}
    )
    assert messages(check_cel(rendered(new), schema, old=proxmox_machine_template())) == [
        "spec.template.spec: Must set full=true when specifying format",
        "spec.template.spec.disks.bootVolume: Value is immutable",
    ]
