"""`validate --base REF` also checks the change against the output committed at REF.

What the management cluster holds is what the GitOps agent applied: the base commit's fleet/, not
the base's specs rendered again. When the two differ (a hand edit under fleet/, output rendered by
another fleetgen, a spec committed without rendering), only the committed output shows that the
change would be rejected. `plan` has always compared with it; `validate --base` must report the
same, at the working tree's spec line, in real git repositories.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import git

Cli = Callable[..., Any]

KV_SPEC = "clusters/kubevirt/kv-demo.yaml"
KV_OUTPUT = "fleet/clusters/clusters/kv-demo/cluster.yaml"


def edit(root: Path, path: str, old: str, new: str) -> None:
    """Replace the one occurrence of `old` by `new` in a file."""
    file = root / path
    text = file.read_text()
    assert text.count(old) == 1, (path, old)
    file.write_text(text.replace(old, new))


def set_version(root: Path, version: str) -> None:
    """Give kv-demo its own Kubernetes version (and the matching containerDisk image tag)."""
    text = (root / KV_SPEC).read_text()
    text = re.sub(r"(?m)^  kubernetesVersion: .*\n", "", text)
    text = text.replace("  hypervisor: kubevirt\n", f"  hypervisor: kubevirt\n  kubernetesVersion: {version}\n")
    text = re.sub(r"container-disk:v[0-9.]+", f"container-disk:{version}", text)
    (root / KV_SPEC).write_text(text)


def validate(cli: Cli, root: Path, *args: str) -> Any:
    return cli("--repo", str(root), "validate", "--base", "HEAD", *args)


def test_template_hand_edited_at_the_base_is_reported_at_the_spec(rendered_repo: Path, cli: Cli) -> None:
    # the base commits a worker template whose spec was edited by hand under its content-hash name;
    # the working tree renders the spec's template under that same name: CAPK would reject the update
    path = rendered_repo / KV_OUTPUT
    docs = list(yaml.safe_load_all(path.read_text()))
    (tpl,) = [d for d in docs if d and d["kind"] == "KubevirtMachineTemplate" and d["metadata"]["name"].startswith("kv-demo-md-0-")]
    tpl["spec"]["template"]["spec"]["virtualMachineBootstrapCheck"] = {"checkStrategy": "none"}
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True))
    git(rendered_repo, "commit", "-q", "-am", "hand-edit a machine template")
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0  # the working tree: the specs' output again

    result = validate(cli, rendered_repo)
    assert result.exit_code == 1, result.stdout + result.stderr
    name = tpl["metadata"]["name"]
    assert re.search(rf"^{re.escape(KV_SPEC)}:\d+:\d+: error \[immutable-template\] "
                     rf"spec\.template\.spec\.virtualMachineBootstrapCheck\.checkStrategy of KubevirtMachineTemplate "
                     rf"clusters/{name}: changed from 'none' to 'ssh', but KubevirtMachineTemplateSpec is immutable",
                     result.stdout, re.M), result.stdout
    # without --base nothing compares with the commit: the specs alone are valid
    plain = cli("--repo", str(rendered_repo), "validate")
    assert plain.exit_code == 0, plain.stdout


def test_network_change_committed_without_rendering_is_reported_against_the_committed_output(rendered_repo: Path,
                                                                                              cli: Cli) -> None:
    """The base commits a services change but not its output: the agent still applied the old
    network, so rendering it now changes the running cluster's Cluster (a warning, as for any change)."""
    edit(rendered_repo, KV_SPEC, "services: [10.95.0.0/16]", "services: [10.94.0.0/16]")
    git(rendered_repo, "commit", "-q", "-am", "a network change, not rendered")
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    line = (rendered_repo / KV_SPEC).read_text().splitlines().index("    services: [10.94.0.0/16]") + 1
    assert [(f["rule_id"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]] == [
        ("cluster-network-change", KV_SPEC, line)]


def test_upgrade_two_minors_past_the_committed_output_is_refused(rendered_repo: Path, cli: Cli) -> None:
    # the base commits the spec at v1.34.0 but not its rendering (fleet/ still says v1.33.1, which
    # is what the cluster runs); v1.35.0 is one minor past the base's spec, two past the cluster
    set_version(rendered_repo, "v1.34.0")
    git(rendered_repo, "commit", "-q", "-am", "spec bumped, fleet/ not rendered")
    set_version(rendered_repo, "v1.35.0")

    result = validate(cli, rendered_repo)
    assert result.exit_code == 1, result.stdout + result.stderr
    upgrade = [line for line in result.stdout.splitlines() if "[k8s-upgrade-skip]" in line]
    assert upgrade, result.stdout
    assert all(line.startswith(f"{KV_SPEC}:") and "v1.33.1" in line and "v1.35.0" in line for line in upgrade), upgrade


def test_consistent_base_gives_each_finding_once(rendered_repo: Path, cli: Cli) -> None:
    # both comparisons find the same +2 minor upgrade: it is reported once per object
    set_version(rendered_repo, "v1.35.0")
    result = validate(cli, rendered_repo, "--format", "text")
    assert result.exit_code == 1, result.stdout + result.stderr
    findings = [line for line in result.stdout.splitlines() if re.match(r"^\S+:\d+:\d+: ", line)]
    assert any("[k8s-upgrade-skip]" in line for line in findings), result.stdout
    assert len(findings) == len(set(findings)), result.stdout


def _line_of(path: Path, needle: str, after: str) -> int:
    """1-based line of the first `needle` after the first line containing `after`."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


def test_template_hand_edited_in_the_working_tree_is_refused_at_the_edited_line(rendered_repo: Path, cli: Cli) -> None:
    # the pull request edits a worker template in fleet/ in place, under its content-hash name: the
    # agent would apply exactly that file, and CAPK refuses the update
    path = rendered_repo / KV_OUTPUT
    text = path.read_text()
    name = re.search(r"kind: KubevirtMachineTemplate\nmetadata:\n(?:  .*\n)*?  name: (kv-demo-md-0-[0-9a-f]{8})\n", text).group(1)
    line = _line_of(path, "cores: 2", f"name: {name}")
    lines = text.splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace("cores: 2", "cores: 4")
    path.write_text("".join(lines))

    result = validate(cli, rendered_repo)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert re.search(rf"^{re.escape(KV_OUTPUT)}:{line}:\d+: error \[immutable-template\] "
                     rf"spec\.template\.spec\.virtualMachineTemplate\.spec\.template\.spec\.domain\.cpu\.cores of "
                     rf"KubevirtMachineTemplate clusters/{name}: changed from 2 to 4", result.stdout, re.M), result.stdout
    assert f"{KV_OUTPUT}:{line}:1: warning [output-edited] differs from what the specs render and from HEAD" in result.stdout
    # plan reports it too; the specs alone are valid (validate without --base checks them, render --check finds the edit)
    plan = cli("--repo", str(rendered_repo), "plan")
    assert plan.exit_code == 1, plan.stdout + plan.stderr
    assert re.search(rf"^{re.escape(KV_OUTPUT)}:{line}:\d+: error \[immutable-template\]", plan.stdout, re.M), plan.stdout
    assert cli("--repo", str(rendered_repo), "validate").exit_code == 0
    assert cli("--repo", str(rendered_repo), "render", "--check").exit_code == 1


def test_template_hand_edited_next_to_a_comment_in_fleetgen_yaml_is_still_refused(rendered_repo: Path, cli: Cli) -> None:
    """A change of fleetgen.yaml that renders the same output does not hide a hand edit."""
    config = rendered_repo / "fleetgen.yaml"
    config.write_text(config.read_text() + "# reviewed by the platform team\n")
    path = rendered_repo / KV_OUTPUT
    text = path.read_text()
    assert "cores: 2" in text
    line = text[:text.index("cores: 2")].count("\n") + 1
    path.write_text(text.replace("cores: 2", "cores: 4", 1))
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    findings = [(f["rule_id"], f["line"]) for f in json.loads(result.stdout)["findings"]]
    assert findings == [("output-edited", line), ("immutable-template", line)]


def test_output_edited_in_place_where_upstream_allows_it_is_a_warning(rendered_repo: Path, cli: Cli) -> None:
    path = rendered_repo / KV_OUTPUT
    path.write_text(path.read_text().replace("    env: demo\n", "    env: staging\n", 1))
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    findings = [(f["rule_id"], f["severity"], f["file"]) for f in json.loads(result.stdout)["findings"]]
    assert findings == [("output-edited", "warning", KV_OUTPUT)]


def test_unknown_field_added_to_the_output_by_hand_fails_the_schema_at_its_line(rendered_repo: Path, cli: Cli) -> None:
    path = rendered_repo / KV_OUTPUT
    text = path.read_text()
    assert text.count("\n  replicas: 3\n") == 1  # (the MachineDeployment's)
    path.write_text(text.replace("\n  replicas: 3\n", "\n  replicas: 3\n  replicaz: 4\n"))
    line = path.read_text().splitlines().index("  replicaz: 4") + 1
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    findings = [(f["rule_id"], f["severity"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]]
    assert findings == [("output-edited", "warning", KV_OUTPUT, line), ("schema", "error", KV_OUTPUT, line)]


PVE_OUTPUT = "fleet/clusters/clusters/pve-demo/cluster.yaml"


@pytest.mark.parametrize(("output", "old", "new", "rule"), [
    (KV_OUTPUT, "  replicas: 1\n  version: v1.33.1\n", "  replicas: 2\n  version: v1.33.1\n", "kcp-webhook"),
    (KV_OUTPUT, "      version: v1.33.1\n", "      version: v1.34.0\n", "worker-version-skew"),
    (PVE_OUTPUT, "    nodeStartupTimeoutSeconds: 900\n", "    nodeStartupTimeoutSeconds: 10\n", "mhc-webhook"),
    (PVE_OUTPUT, "    cluster.x-k8s.io/cluster-name: pve-demo\nspec:\n  clusterName: pve-demo\n  selector:",
     "    team: -platform\nspec:\n  clusterName: pve-demo\n  selector:", "label-values"),
    (PVE_OUTPUT, "      - 10.96.0.0/12\n", "      - 10.97.0.0/16\n", "cluster-network-change"),
], ids=["even-control-plane", "workers-newer", "mhc-startup-timeout", "label-value", "service-cidr"])
def test_output_edited_by_hand_gets_the_webhook_rules_at_the_edited_line(rendered_repo: Path, cli: Cli, output: str,
                                                                          old: str, new: str, rule: str) -> None:
    """What the agent applies is the edited file: the webhooks would refuse it, so the PR must fail
    (and a change the running cluster ignores is a warning, as for a spec change)."""
    path = rendered_repo / output
    text = path.read_text()
    assert text.count(old) == 1, old
    first_changed = next(i for i, (a, b) in enumerate(zip(old.splitlines(), new.splitlines(), strict=True)) if a != b)
    line = text[:text.index(old)].count("\n") + 1 + first_changed
    path.write_text(text.replace(old, new))
    severity = "warning" if rule == "cluster-network-change" else "error"
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == (1 if severity == "error" else 0), result.stdout + result.stderr
    findings = [(f["rule_id"], f["severity"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]]
    assert findings == [("output-edited", "warning", output, line), (rule, severity, output, line)]


def test_addon_output_edited_by_hand_is_checked_as_edited(rendered_repo: Path, cli: Cli) -> None:
    """An addon's ClusterResourceSet edited in fleet/ under its hashed name: the webhook refuses the
    strategy change ("field is immutable"), so the PR must fail at the edited line."""
    output = "fleet/addons/clusters/calico/addon.yaml"
    path = rendered_repo / output
    text = path.read_text()
    assert text.count("  strategy: Reconcile\n") == 1
    path.write_text(text.replace("  strategy: Reconcile\n", "  strategy: ApplyOnce\n"))
    line = path.read_text().splitlines().index("  strategy: ApplyOnce") + 1
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule_id"], f["severity"], f["file"], f["line"]) for f in findings] == [
        ("output-edited", "warning", output, line), ("crs-immutable", "error", output, line)]
    assert "the specs and addons still render it as at HEAD" in findings[0]["message"]
    render = cli("--repo", str(rendered_repo), "render", "--check")
    assert render.exit_code == 1  # (and it is stale: the next render puts the rendering back)


def test_output_no_longer_yaml_after_a_hand_edit_is_an_error(rendered_repo: Path, cli: Cli) -> None:
    path = rendered_repo / KV_OUTPUT
    path.write_text(path.read_text() + "foo: [\n")
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["rule_id"], finding["severity"], finding["file"]) == ("output-edited", "error", KV_OUTPUT)
    assert "not valid YAML any more" in finding["message"]


def _render(cli: Cli, root: Path) -> None:
    result = cli("--repo", str(root), "render")
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize("flow", ["changed-again-after-render", "pool-renamed-twice", "new-cluster-changed",
                                  "output-not-committed", "settings-changed"])
def test_stale_output_is_not_taken_for_a_hand_edit(rendered_repo: Path, cli: Cli, flow: str) -> None:
    # output rendered from an earlier version of the specs is stale (render --check's), not edited
    if flow == "changed-again-after-render":
        edit(rendered_repo, KV_SPEC, "      replicas: 3\n", "      replicas: 4\n")
        _render(cli, rendered_repo)
        edit(rendered_repo, KV_SPEC, "      replicas: 4\n", "      replicas: 5\n")
    elif flow == "pool-renamed-twice":
        edit(rendered_repo, KV_SPEC, "    - name: md-0\n", "    - name: md-1\n")
        _render(cli, rendered_repo)
        edit(rendered_repo, KV_SPEC, "    - name: md-1\n", "    - name: md-2\n")
    elif flow == "new-cluster-changed":
        text = (rendered_repo / KV_SPEC).read_text().replace("name: kv-demo\n", "name: kv-new\n")
        (rendered_repo / "clusters/kubevirt/kv-new.yaml").write_text(text)
        _render(cli, rendered_repo)
        git(rendered_repo, "add", "-A")
        git(rendered_repo, "commit", "-q", "-m", "add kv-new")
        edit(rendered_repo, "clusters/kubevirt/kv-new.yaml", "      replicas: 3\n", "      replicas: 4\n")
        _render(cli, rendered_repo)
        edit(rendered_repo, "clusters/kubevirt/kv-new.yaml", "      replicas: 4\n", "      replicas: 2\n")
    elif flow == "output-not-committed":
        git(rendered_repo, "rm", "-r", "-q", "--cached", "fleet")
        (rendered_repo / ".gitignore").write_text("fleet/\n")
        git(rendered_repo, "add", "-A")
        git(rendered_repo, "commit", "-q", "-m", "stop committing fleet/")
        edit(rendered_repo, KV_SPEC, "      replicas: 3\n", "      replicas: 4\n")
        _render(cli, rendered_repo)
        edit(rendered_repo, KV_SPEC, "      replicas: 4\n", "      replicas: 5\n")
    else:
        edit(rendered_repo, "fleetgen.yaml", "  branch: main\n", "  branch: dev\n")
        _render(cli, rendered_repo)
        edit(rendered_repo, KV_SPEC, "      replicas: 3\n", "      replicas: 4\n")
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [f["rule_id"] for f in json.loads(result.stdout)["findings"]] == []


@pytest.mark.parametrize("old,new", [
    ("      replicas: 3\n", "      replicas: 4\n"),                                  # scale
    ("    machine: {cpus: 2, memory: 4Gi}\n  workers:", "    machine: {cpus: 4, memory: 8Gi}\n  workers:"),  # rollout
    ("    env: demo\n", "    env: demo\n    team: platform\n"),                       # in place
])
def test_valid_changes_against_the_committed_base_find_nothing(rendered_repo: Path, cli: Cli, old: str, new: str) -> None:
    edit(rendered_repo, KV_SPEC, old, new)
    for rendered in (False, True):  # before and after `fleetgen render` (the pre-commit hooks' order)
        if rendered:
            assert cli("--repo", str(rendered_repo), "render").exit_code == 0
        result = validate(cli, rendered_repo)
        assert result.exit_code == 0, result.stdout + result.stderr
        assert "errors: 0, warnings: 0" in result.stdout, result.stdout


def test_base_without_committed_output_uses_the_rendered_base_specs(fleet_repo: Path, cli: Cli) -> None:
    # a base that commits no fleet/ (the first commit of specs only): the transition checks still
    # compare with the base's specs rendered, and nothing else is needed
    assert not git(fleet_repo, "ls-tree", "HEAD", "fleet")  # (fleet_repo commits the specs only)
    set_version(fleet_repo, "v1.35.0")
    result = validate(cli, fleet_repo)
    assert result.exit_code == 1, result.stdout
    assert any(line.startswith(f"{KV_SPEC}:") and "[k8s-upgrade-skip]" in line for line in result.stdout.splitlines()), result.stdout
    set_version(fleet_repo, "v1.34.0")
    ok = validate(cli, fleet_repo)
    assert ok.exit_code == 0 and "errors: 0, warnings: 0" in ok.stdout, ok.stdout


@pytest.mark.parametrize("edit", ["crlf", "no final newline", "lines cut off"])
def test_output_edited_is_reported_at_a_line_of_the_file(rendered_repo: Path, cli: Cli, edit: str) -> None:
    path = rendered_repo / KV_OUTPUT
    data = path.read_bytes()
    lines = data.count(b"\n")
    edited, line = {"crlf": (data.replace(b"\n", b"\r\n"), 1), "no final newline": (data[:-1], lines),
                    "lines cut off": (b"\n".join(data.split(b"\n")[:5]) + b"\n", 5)}[edit]
    path.write_bytes(edited)
    result = validate(cli, rendered_repo, "--format", "json")
    found = [f["line"] for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "output-edited"]
    assert found == [line], result.stdout


BASELINE_OUTPUT = "fleet/addons/clusters/baseline/addon.yaml"


def test_edited_addon_referencing_another_addons_configmap_is_not_a_missing_resource(rendered_repo: Path, cli: Cli) -> None:
    """The object rules see the whole tree: calico's ConfigMap is rendered in the same namespace,
    in another addon's file."""
    path = rendered_repo / BASELINE_OUTPUT
    text = path.read_text()
    calico = re.search(r"name: (calico-[0-9a-f]{8})\n", (rendered_repo / "fleet/addons/clusters/calico/addon.yaml").read_text())
    assert calico is not None and text.splitlines()[-2] == "  - kind: ConfigMap"  # (the file ends with spec.resources)
    path.write_text(text + f"  - kind: ConfigMap\n    name: {calico.group(1)}\n")
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [f["rule_id"] for f in json.loads(result.stdout)["findings"]] == ["output-edited"]
    path.write_text(text + "  - kind: ConfigMap\n    name: nope\n")  # (one that is really missing)
    result = validate(cli, rendered_repo, "--format", "json")
    assert [f["rule_id"] for f in json.loads(result.stdout)["findings"]] == ["output-edited", "crs-webhook"]


def test_edited_label_value_is_one_finding_at_the_value(rendered_repo: Path, cli: Cli) -> None:
    """`on` is a YAML boolean: the schema refuses it; the webhook mirrors would only repeat it."""
    path = rendered_repo / BASELINE_OUTPUT
    text = path.read_text()
    assert text.count("      fleetgen.dev/baseline: enabled\n") == 1
    path.write_text(text.replace("      fleetgen.dev/baseline: enabled\n", "      fleetgen.dev/baseline: on\n"))
    line = path.read_text().splitlines().index("      fleetgen.dev/baseline: on") + 1
    result = validate(cli, rendered_repo, "--format", "json")
    at_value = [f["rule_id"] for f in json.loads(result.stdout)["findings"] if (f["line"], f["col"]) == (line, 7)]
    assert at_value == ["schema"], result.stdout


def test_unknown_field_added_by_hand_is_the_schema_finding_only(rendered_repo: Path, cli: Cli) -> None:
    """The API server prunes an unknown field: the object does not change, nothing immutable is touched."""
    path = rendered_repo / KV_OUTPUT
    text = path.read_text()
    assert text.count("\n  replicas: 1\n") == 1  # (the KubeadmControlPlane's)
    path.write_text(text.replace("\n  replicas: 1\n", "\n  replicas: 1\n  replcas: 3\n"))
    line = path.read_text().splitlines().index("  replcas: 3") + 1
    result = validate(cli, rendered_repo, "--format", "json")
    assert [(f["rule_id"], f["line"]) for f in json.loads(result.stdout)["findings"]] == [
        ("output-edited", line), ("schema", line)]


def test_default_version_skipping_a_minor_is_one_finding_for_every_cluster(rendered_repo: Path, cli: Cli) -> None:
    config = rendered_repo / "fleetgen.yaml"
    edit(rendered_repo, "fleetgen.yaml", "kubernetesVersion: v1.33.1", "kubernetesVersion: v1.35.0")
    edit(rendered_repo, KV_SPEC, "container-disk:v1.33.1", "container-disk:v1.35.0")
    line = next(i for i, x in enumerate(config.read_text().splitlines(), 1) if "v1.35.0" in x)
    result = validate(cli, rendered_repo, "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    found = [(f["rule_id"], f["file"], f["line"], f["message"]) for f in json.loads(result.stdout)["findings"]]
    assert [x[:3] for x in found] == [("k8s-upgrade-skip", "fleetgen.yaml", line)]
    assert found[0][3].startswith("spec.version of KubeadmControlPlane clusters/kv-demo-control-plane and 1 more "
                                  "(from defaults): cannot update Kubernetes version from v1.33.1 to v1.35.0")
