"""Plan classification (`fleetgen.vcs.plan`) on hand-made objects, and the commit message and
report formats built from it."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest

from fleetgen.findings import CheckResult, Finding, ObjectRef, Position, Severity
from fleetgen.report.plan import write_plan
from fleetgen.vcs.commit import commit_message
from fleetgen.vcs.plan import (
    CREATE,
    DELETE,
    FORBIDDEN,
    IN_PLACE,
    ROLLOUT,
    SCALE,
    Plan,
    PlanObject,
    diff_objects,
    group_changes,
)

NS = "clusters"


def meta(name: str, cluster: str = "kv", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NS, "labels": {"cluster.x-k8s.io/cluster-name": cluster}, **extra}


def md(cluster: str = "kv", pool: str = "md-0", replicas: int | None = 3, template: str = "kv-md-0-aaaaaaaa",
       version: str = "v1.33.1") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "clusterName": cluster,
        "selector": {"matchLabels": {"cluster.x-k8s.io/deployment-name": f"{cluster}-{pool}"}},
        "template": {"metadata": {"labels": {"cluster.x-k8s.io/deployment-name": f"{cluster}-{pool}"}},
                     "spec": {"clusterName": cluster, "version": version,
                              "bootstrap": {"configRef": {"kind": "KubeadmConfigTemplate", "name": f"{cluster}-{pool}-bbbbbbbb"}},
                              "infrastructureRef": {"kind": "KubevirtMachineTemplate", "name": template}}},
    }
    if replicas is not None:
        spec = {"replicas": replicas, **spec}
    return {"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment", "metadata": meta(f"{cluster}-{pool}", cluster),
            "spec": spec}


def kcp(cluster: str = "kv", replicas: int = 1, version: str = "v1.33.1", template: str = "kv-control-plane-cccccccc") -> dict[str, Any]:
    return {"apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KubeadmControlPlane",
            "metadata": meta(f"{cluster}-control-plane", cluster),
            "spec": {"replicas": replicas, "version": version,
                     "machineTemplate": {"spec": {"infrastructureRef": {"kind": "KubevirtMachineTemplate", "name": template}}},
                     "kubeadmConfigSpec": {"clusterConfiguration": {"certificatesDir": "/etc/kubernetes/pki"}}}}


def template(name: str, memory: str = "4Gi", cluster: str = "kv") -> dict[str, Any]:
    return {"apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha1", "kind": "KubevirtMachineTemplate",
            "metadata": meta(name, cluster), "spec": {"template": {"spec": {"memory": memory}}}}


def cluster(name: str = "kv", labels: dict[str, str] | None = None) -> dict[str, Any]:
    m = meta(name, name)
    m["labels"] = {**m["labels"], **(labels or {})}
    return {"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster", "metadata": m, "spec": {}}


def crs(strategy: str = "Reconcile", resources: tuple[str, ...] = ("calico",)) -> dict[str, Any]:
    return {"apiVersion": "addons.cluster.x-k8s.io/v1beta2", "kind": "ClusterResourceSet",
            "metadata": {"name": "calico", "namespace": NS},
            "spec": {"strategy": strategy, "clusterSelector": {"matchLabels": {"cni": "calico"}},
                     "resources": [{"kind": "ConfigMap", "name": r} for r in resources]}}


def objs(*manifests: dict[str, Any]) -> list[PlanObject]:
    out = []
    for m in manifests:
        c = m["metadata"].get("labels", {}).get("cluster.x-k8s.io/cluster-name", "")
        out.append(PlanObject(copy.deepcopy(m), c, f"fleet/clusters/{NS}/{c or 'x'}/cluster.yaml"))
    return out


def base_set() -> list[dict[str, Any]]:
    return [cluster(), kcp(), md(), template("kv-md-0-aaaaaaaa"), template("kv-control-plane-cccccccc")]


def plan_of(base: list[dict[str, Any]], head: list[dict[str, Any]], findings: list[Finding] = ()) -> Plan:  # type: ignore[assignment]
    b, h = objs(*base), objs(*head)
    result = CheckResult()
    result.extend(findings)
    plan = Plan("HEAD", "0123456789abcdef", "committed", result=result)
    plan.clusters, plan.fleet_wide = group_changes(diff_objects(b, h, findings), b, h)
    return plan


def test_unchanged_objects_give_an_empty_plan() -> None:
    plan = plan_of(base_set(), base_set())
    assert not plan.has_changes
    assert plan.summary_line() == "no changes"


def test_replicas_only_is_a_scale() -> None:
    head = base_set()
    head[2] = md(replicas=4)
    plan = plan_of(base_set(), head)
    (c,) = plan.clusters
    assert c.action == SCALE
    assert [o.action for o in c.objects] == [SCALE]
    assert [ch.text for ch in c.changes] == ["scale kv/md-0 3 → 4"]
    assert [ch.subject for ch in c.changes] == ["scale kv/md-0 3→4"]
    assert plan.summary_line() == "1 cluster changed: 1 scale"
    assert commit_message(plan) == "scale kv/md-0 3→4"


def test_control_plane_replicas_is_a_scale() -> None:
    head = base_set()
    head[1] = kcp(replicas=3)
    (c,) = plan_of(base_set(), head).clusters
    assert [ch.text for ch in c.changes] == ["scale kv/control-plane 1 → 3"]


def test_new_machine_template_name_is_a_rollout_with_the_machine_count() -> None:
    head = base_set()
    head[2] = md(template="kv-md-0-dddddddd")
    head[3] = template("kv-md-0-dddddddd", memory="8Gi")
    plan = plan_of(base_set(), head)
    (c,) = plan.clusters
    assert c.action == ROLLOUT
    assert {(o.action, o.kind, o.name) for o in c.objects} == {
        (ROLLOUT, "MachineDeployment", "kv-md-0"),
        (CREATE, "KubevirtMachineTemplate", "kv-md-0-dddddddd"),
        (DELETE, "KubevirtMachineTemplate", "kv-md-0-aaaaaaaa")}
    assert [ch.text for ch in c.changes] == [
        "rollout kv/md-0: 3 machines replaced (machine template kv-md-0-aaaaaaaa → kv-md-0-dddddddd)"]
    assert commit_message(plan) == "rollout kv/md-0 (machine template)"


def test_rollout_of_an_autoscaled_pool_says_all_machines() -> None:
    base, head = base_set(), base_set()
    for side, tpl in ((base, "kv-md-0-aaaaaaaa"), (head, "kv-md-0-dddddddd")):
        side[2] = md(replicas=None, template=tpl)
        side[2]["metadata"]["annotations"] = {
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": "1",
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": "6"}
    (c,) = plan_of(base, head).clusters
    assert "all machines (autoscaled 1..6) replaced" in c.changes[0].text


def test_same_template_name_with_a_different_spec_is_forbidden() -> None:
    head = base_set()
    head[3] = template("kv-md-0-aaaaaaaa", memory="8Gi")
    plan = plan_of(base_set(), head)
    (c,) = plan.clusters
    assert c.action == FORBIDDEN
    (o,) = plan.forbidden
    assert o.kind == "KubevirtMachineTemplate"
    assert "KubevirtMachineTemplateSpec is immutable" in o.message
    assert plan.failed


def test_kcp_version_two_minors_up_is_forbidden_and_one_minor_is_a_rollout() -> None:
    head = base_set()
    head[1] = kcp(version="v1.35.0")
    (o,) = plan_of(base_set(), head).forbidden
    assert "cannot update Kubernetes version from v1.33.1 to v1.35.0" in o.message
    head[1] = kcp(version="v1.34.2")
    plan = plan_of(base_set(), head)
    assert not plan.forbidden
    assert [ch.text for ch in plan.clusters[0].changes] == [
        "rollout kv/control-plane: 1 machine replaced (kubernetes version v1.33.1 → v1.34.2)"]


def test_kcp_field_outside_the_webhook_allow_list_is_forbidden() -> None:
    head = base_set()
    head[1] = kcp()
    head[1]["spec"]["kubeadmConfigSpec"]["clusterConfiguration"]["certificatesDir"] = "/pki"
    (o,) = plan_of(base_set(), head).forbidden
    assert "clusterConfiguration.certificatesDir: cannot be modified" in o.message


def test_label_change_is_in_place() -> None:
    head = base_set()
    head[0] = cluster(labels={"env": "prod"})
    plan = plan_of(base_set(), head)
    (c,) = plan.clusters
    assert c.action == IN_PLACE
    assert c.objects[0].fields[0].dotted == "metadata.labels.env"
    assert c.changes[0].text == "update kv: ~Cluster kv (no machines replaced)"
    assert commit_message(plan) == "update kv (Cluster)"


def test_md_template_labels_and_drain_timeout_are_in_place() -> None:
    head = base_set()
    head[2] = md()
    head[2]["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
    head[2]["spec"]["template"]["spec"]["deletion"] = {"nodeDrainTimeoutSeconds": 60}
    (c,) = plan_of(base_set(), head).clusters
    assert [o.action for o in c.objects] == [IN_PLACE]


def test_new_cluster_is_a_create_with_its_machines() -> None:
    head = base_set() + [cluster("kv2"), kcp("kv2"), md("kv2", replicas=2, template="kv2-md-0-eeeeeeee")]
    plan = plan_of(base_set(), head)
    (c,) = plan.clusters
    assert (c.name, c.action) == ("kv2", CREATE)
    assert c.changes[0].text == "create cluster kv2 (1 control-plane machine, 2 worker machines)"
    assert commit_message(plan) == "create cluster kv2"


def test_deleted_cluster_is_flagged() -> None:
    plan = plan_of(base_set(), [])
    (c,) = plan.clusters
    assert c.action == DELETE
    assert c.changes[0].text == "DELETE cluster kv: the GitOps agent will delete the workload cluster and its machines"
    assert plan.deleted_clusters == ["kv"]


def test_added_and_removed_pools_are_scale_changes() -> None:
    head = base_set() + [md(pool="md-1", replicas=2, template="kv-md-1-ffffffff")]
    (c,) = plan_of(base_set(), head).clusters
    assert (c.action, [ch.text for ch in c.changes]) == (SCALE, ["add pool kv/md-1 (2 machines)"])
    (c,) = plan_of(head, base_set()).clusters
    assert [ch.text for ch in c.changes] == ["remove pool kv/md-1: 2 machines deleted"]


def test_crs_strategy_change_is_forbidden_and_resources_change_is_in_place() -> None:
    plan = plan_of(base_set() + [crs()], base_set() + [crs(strategy="ApplyOnce")])
    assert plan.fleet_wide is not None and plan.fleet_wide.action == FORBIDDEN
    assert "spec.strategy: field is immutable" in plan.forbidden[0].message
    plan = plan_of(base_set() + [crs()], base_set() + [crs(resources=("calico", "extra"))])
    assert plan.fleet_wide is not None and plan.fleet_wide.action == IN_PLACE
    assert plan.summary_line() == "fleet-wide: 1 object changed"


def test_transition_rule_finding_makes_the_object_forbidden() -> None:
    head = base_set()
    head[0] = cluster(labels={"env": "prod"})
    finding = Finding("immutable-template", Severity.ERROR, "rejected by the webhook", Position("clusters/kv.yaml", 3, 1),
                      object=ObjectRef("cluster.x-k8s.io/v1beta2", "Cluster", "kv", NS))
    plan = plan_of(base_set(), head, [finding])
    (o,) = plan.forbidden
    assert o.message == "[immutable-template] rejected by the webhook"


def test_several_changes_give_a_subject_and_a_bullet_body() -> None:
    head = base_set() + [cluster("kv2"), kcp("kv2"), md("kv2", replicas=2)]
    head[2] = md(replicas=5)
    message = commit_message(plan_of(base_set(), head))
    subject, blank, *body = message.split("\n")
    assert subject == "scale kv/md-0 3→5; create cluster kv2"
    assert blank == ""
    assert body == ["- scale kv/md-0 3 → 5", "- create cluster kv2 (1 control-plane machine, 2 worker machines)"]


def test_long_subject_falls_back_to_the_summary() -> None:
    head = base_set() + [cluster(f"cluster-number-{i}") for i in range(4)]
    subject = commit_message(plan_of(base_set(), head)).split("\n")[0]
    assert subject == "4 clusters changed: 4 create"


# --------------------------------------------------------------------------------------------
# report formats


@pytest.fixture
def mixed_plan() -> Plan:
    base = base_set() + [cluster("old")]
    head = base_set()
    head[2] = md(replicas=4)
    head += [cluster("kv2"), kcp("kv2"), md("kv2", replicas=2)]
    return plan_of(base, head)


def test_markdown_starts_with_the_summary_and_has_a_section_per_cluster(mixed_plan: Plan) -> None:
    out = io.StringIO()
    write_plan(mixed_plan, "markdown", out)
    text = out.getvalue()
    assert text.splitlines()[0] == "**fleetgen plan:** 3 clusters changed: 1 create, 1 delete, 1 scale"
    assert "**DELETE cluster old**: the GitOps agent will delete the workload cluster and its machines." in text
    for header in ("### `kv` (clusters) — scale", "### `kv2` (clusters) — create", "### `old` (clusters) — delete"):
        assert header in text
    assert "| scale | MachineDeployment | `kv-md-0` | `spec.replicas: 3 → 4` |" in text


def test_json_is_versioned_and_stable(mixed_plan: Plan) -> None:
    out = io.StringIO()
    write_plan(mixed_plan, "json", out)
    data = json.loads(out.getvalue())
    assert data["version"] == 1
    assert data["base"] == {"ref": "HEAD", "commit": "0123456789abcdef", "source": "committed"}
    assert data["summary"]["clusters"] == {"create": 1, "delete": 1, "scale": 1, "rollout": 0, "in-place": 0, "forbidden": 0}
    assert data["summary"]["deleted_clusters"] == ["old"]
    assert [c["name"] for c in data["clusters"]] == ["kv", "kv2", "old"]
    scale = data["clusters"][0]["objects"][0]
    assert scale["fields"] == [{"path": "spec.replicas", "old": 3, "new": 4}]
    assert list(data) == ["version", "base", "valid", "summary", "clusters", "fleet_wide", "notes", "findings"]


def test_text_lists_changes_and_objects(mixed_plan: Plan) -> None:
    out = io.StringIO()
    write_plan(mixed_plan, "text", out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "plan: working tree against HEAD (0123456, committed output)"
    assert lines[1] == "3 clusters changed: 1 create, 1 delete, 1 scale"
    assert "  DELETE cluster old: the GitOps agent will delete the workload cluster and its machines" in lines
    assert "    ~ MachineDeployment kv-md-0  [scale]  fleet/clusters/clusters/kv/cluster.yaml" in lines
