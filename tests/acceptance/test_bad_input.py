"""Malformed input thrown at `fleetgen validate` and `fleetgen render`, end to end.

Each test starts from the example fleet in a real git repository, renders it once and commits
`fleet/`, then breaks one file (a few tests break several) and runs BOTH commands. The contract
(DESIGN.md "Exit codes") is checked every time:

- exit 1 for a bad spec or addon, 2 for a broken fleetgen.yaml (a configuration error);
- exactly one message per problem, naming `file:line:col` and the field path where there is one,
  in file/line order, and nothing else reported;
- no Python traceback on stdout or stderr;
- nothing written: `fleet/` is byte-identical (a hash of the whole tree) and clean in git, and no
  file appears anywhere else around the repository.

Decision on symlinks: a spec (or addon.yaml) that is a symlink to a file inside the repository is
followed; one that points outside the repository is refused with one message. The file would not be
in git, so CI and the GitOps agent would not render what the author rendered locally, and fleetgen
never reads files from outside the repository (addon resources already refused that).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CliResult, git, run_cli

KV = "clusters/kubevirt/kv-demo.yaml"
PVE = "clusters/proxmox/pve-demo.yaml"
CALICO = "crs/calico/addon.yaml"
CONFIG = "fleetgen.yaml"
COMMANDS = ("validate", "render")
#: `path:line:col: error [rule] message`, the text report's line for one finding.
FINDING = re.compile(
    r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|info) "
    r"\[(?P<rule>[^\]]+)\] (?P<message>.*)$"
)
#: `fleetgen: error: path:line:col: message`, a configuration error on stderr.
CONFIG_ERROR = re.compile(r"^fleetgen: error: (?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$")
SUMMARY = re.compile(r"^\d+ objects in \d+ files - errors: (?P<errors>\d+), warnings: (?P<warnings>\d+)$")
NOT_WRITTEN = "fleet/ not written: fix the errors above"




def run(*argv: str, cwd: Path) -> CliResult:
    """Run the CLI in-process in `cwd` (the shared `run_cli`, which flushes stdout before reading it)."""
    return run_cli(*argv, cwd=cwd)


@pytest.fixture
def repo(fleet_repo: Path) -> Path:
    """The example fleet, rendered once and committed (so `fleet/` exists and is clean)."""
    result = run("render", cwd=fleet_repo)
    assert result.exit_code == 0, result
    git(fleet_repo, "add", "-A")
    git(fleet_repo, "commit", "-q", "-m", "render")
    assert (fleet_repo / "fleet").is_dir()
    return fleet_repo


# ---- helpers ------------------------------------------------------------------------------------


def edit(repo: Path, rel: str, old: str, new: str) -> None:
    """Replace the first `old` in a file of the repository (which must contain it)."""
    path = repo / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def write(repo: Path, rel: str, data: str | bytes) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def line_of(repo: Path, rel: str, needle: str) -> int:
    """1-based line of the first occurrence of `needle` in a file."""
    text = (repo / rel).read_bytes().decode("utf-8", errors="replace")
    assert needle in text, f"{needle!r} not in {rel}"
    return text[: text.index(needle)].count("\n") + 1


def tree_hash(root: Path) -> str:
    """sha256 over every path, type, symlink target and file content under `root`."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            h.update(f"L {rel} {os.readlink(path)}\n".encode())
        elif path.is_dir():
            h.update(f"D {rel}\n".encode())
        else:
            h.update(f"F {rel} {hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return h.hexdigest()


def files_around(repo: Path) -> set[str]:
    """Every path under the repository's parent (the test's tmp dir), except git internals."""
    base = repo.parent
    return {
        p.relative_to(base).as_posix() for p in base.rglob("*") if ".git" not in p.relative_to(base).parts
    }


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    col: int
    message: str


def problems_reported(result: CliResult, *, config: bool) -> list[Problem]:
    """The problems one run reported, checking that nothing else was printed."""
    out: list[Problem] = []
    if config:
        assert result.stdout == ""
        for text in result.stderr.splitlines():
            m = CONFIG_ERROR.match(text)
            assert m, f"unexpected stderr line {text!r}"
            out.append(Problem(m["file"], int(m["line"]), int(m["col"]), m["message"]))
        return out
    lines = result.stdout.splitlines()
    assert lines and SUMMARY.match(lines[-1]), result.stdout
    for text in lines[:-1]:
        if text.startswith(("  ↳ ", "  hint: ")):
            continue
        m = FINDING.match(text)
        assert m, f"unexpected stdout line {text!r}"
        assert m["severity"] == "error", text
        out.append(Problem(m["file"], int(m["line"]), int(m["col"]), m["message"]))
    summary = SUMMARY.match(lines[-1])
    assert summary and int(summary["errors"]) == len(out)
    return out


def assert_rejected(repo: Path, expected: list[tuple[str, int, str]], *, code: int = 1) -> list[Problem]:
    """Run validate and render; each must exit `code`, report exactly `expected` and write nothing.

    Args:
        expected: one (file, line, message fragment) per problem, in report order (file, line).

    Returns:
        The problems `validate` reported.
    """
    fleet_before = tree_hash(repo / "fleet")
    around_before = files_around(repo)
    reported: dict[str, list[Problem]] = {}
    for command in COMMANDS:
        result = run(command, cwd=repo)
        both = result.stdout + result.stderr
        assert "Traceback" not in both and "internal error" not in both, both
        assert result.exit_code == code, (command, result)
        problems = problems_reported(result, config=code == 2)
        assert [(p.file, p.line) for p in problems] == [(f, n) for f, n, _ in expected], (command, problems)
        for problem, (_, _, fragment) in zip(problems, expected, strict=True):
            assert fragment in problem.message, (command, problem)
            assert len(problem.message) < 400 and problem.message == problem.message.strip()
        if code == 1:
            assert result.stderr == ("" if command == "validate" else NOT_WRITTEN + "\n"), result.stderr
        assert problems == sorted(problems, key=lambda p: (p.file, p.line, p.col))
        reported[command] = problems
        assert tree_hash(repo / "fleet") == fleet_before, f"{command} changed fleet/"
        assert git(repo, "status", "--porcelain", "fleet/") == ""
        assert files_around(repo) == around_before, f"{command} created or removed files"
    assert reported["validate"] == reported["render"]
    return reported["validate"]


# ---- a valid fleet ------------------------------------------------------------------------------


def test_valid_fleet_validates_with_no_findings_and_render_is_a_no_op(repo: Path) -> None:
    result = run("validate", cwd=repo)
    assert result.exit_code == 0, result
    assert problems_reported(result, config=False) == []
    assert SUMMARY.match(result.stdout.splitlines()[-1])["warnings"] == "0"  # type: ignore[index]
    assert result.stderr == ""
    before = tree_hash(repo / "fleet")
    result = run("render", cwd=repo)
    assert result.exit_code == 0 and "0 written" in result.stdout.replace("0 files written", "0 written"), (
        result
    )
    assert tree_hash(repo / "fleet") == before


# ---- YAML that cannot be read -------------------------------------------------------------------


def test_yaml_syntax_error_reported_where_found_and_where_opened(repo: Path) -> None:
    edit(repo, KV, "  controlPlane:\n", "  controlPlane: [\n")
    (p,) = assert_rejected(
        repo, [(KV, line_of(repo, KV, "    machine:"), "yaml: did not find expected ',' or ']'")]
    )
    assert f"while parsing a flow sequence at line {line_of(repo, KV, 'controlPlane: [')})" in p.message


def test_tab_indentation(repo: Path) -> None:
    edit(repo, KV, "    replicas: 1\n", "\treplicas: 1\n")
    assert_rejected(
        repo,
        [(KV, line_of(repo, KV, "\treplicas"), "yaml: found a tab character; YAML indents with spaces only")],
    )


def test_duplicate_key(repo: Path) -> None:
    edit(repo, KV, "    replicas: 1\n", "    replicas: 1\n    replicas: 3\n")
    first = line_of(repo, KV, "replicas: 1")
    assert_rejected(repo, [(KV, first + 1, f"yaml: duplicate key 'replicas' (first at line {first})")])


def test_duplicate_key_inside_a_flow_mapping_points_at_the_repeat(repo: Path) -> None:
    edit(repo, KV, "machine: {cpus: 2, memory: 4Gi}", "machine: {cpus: 2, memory: 4Gi, cpus: 4}")
    (p,) = assert_rejected(repo, [(KV, line_of(repo, KV, "cpus: 4}"), "yaml: duplicate key 'cpus'")])
    text = (repo / KV).read_text().splitlines()[p.line - 1]
    assert text[p.col - 1 :].startswith("cpus: 4}")


def test_alias_bomb_refused_before_expansion(repo: Path) -> None:
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    write(repo, KV, "\n".join(lines) + "\n")
    assert_rejected(repo, [(KV, 1, "refusing a possible alias bomb")])


def test_binary_file_named_yaml(repo: Path) -> None:
    noise = bytes(random.Random(1).randrange(256) for _ in range(4096))
    write(repo, KV, noise[:100] + b"\x00\x00" + noise[100:])
    assert_rejected(repo, [(KV, 1, "not a text file (contains NUL bytes)")])


def test_empty_file(repo: Path) -> None:
    write(repo, KV, b"")
    assert_rejected(repo, [(KV, 1, "empty file: expected a YAML document")])


def test_comments_only_file_is_empty(repo: Path) -> None:
    write(repo, KV, "# nothing here yet\n---\n")
    assert_rejected(repo, [(KV, 1, "empty file: expected a YAML document")])


def test_non_utf8_file(repo: Path) -> None:
    text = (repo / KV).read_text().replace("kubevirt:\n", "kubevirt:   # caf\u00e9\n")
    write(repo, KV, text.encode("latin-1"))
    (p,) = assert_rejected(repo, [(KV, line_of(repo, KV, "# caf"), "not UTF-8 text (invalid byte at offset")])
    assert p.col == len("  kubevirt:   # caf") + 1


@pytest.mark.parametrize(
    "text",
    ["- apiVersion: fleetgen.dev/v1alpha1\n- kind: ClusterSpec\n", "kv-demo\n", "42\n", "null\n"],
    ids=["list", "string", "number", "null"],
)
def test_top_level_not_a_mapping(repo: Path, text: str) -> None:
    write(repo, KV, text)
    assert_rejected(repo, [(KV, 1, "expected a mapping (a ClusterSpec document)")])


def test_several_documents_in_one_file(repo: Path) -> None:
    first = (repo / KV).read_text()
    write(repo, KV, first + "---\n" + (repo / PVE).read_text())
    # reported at the second document's first node
    second = first.count("\n") + 1 + line_of(repo, PVE, "apiVersion")
    assert_rejected(repo, [(KV, second, "expected one YAML document, found 2; keep one document per file")])


def test_deeply_nested_yaml_10000_levels(repo: Path) -> None:
    write(repo, KV, "spec: " + "[" * 10_000 + "]" * 10_000 + "\n")
    (p,) = assert_rejected(repo, [(KV, 1, "yaml: document nests deeper than 200 levels")])
    assert p.col < 300


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("spec: " + "[" * 100_000 + "]" * 100_000 + "\n", 1),
        ("spec: " + "{a: " * 50_000 + "\n", 1),
        ("- " * 100_000 + "x\n", 1),
        # two levels a line: level 201 is on line 101
        ("".join("  " * i + "- a:\n" for i in range(2_000)), 101),
    ],
    ids=["flow-100k", "unclosed-flow-map-50k", "compact-sequences-100k", "block-4000-levels"],
)
def test_deeply_nested_yaml_cannot_crash_the_interpreter(repo: Path, text: str, line: int) -> None:
    """Regression: libyaml's composer recursed in C, so ~25,000 levels was a segfault (not even a
    RecursionError), and unclosed flow nesting took quadratic time; now refused before composing."""
    write(repo, KV, text)
    assert_rejected(repo, [(KV, line, "yaml: document nests deeper than 200 levels")])


def test_huge_single_line_value_reported_in_a_short_message(repo: Path) -> None:
    edit(repo, KV, "hypervisor: kubevirt", "hypervisor: " + "kubevirt" * 1_000_000)
    (p,) = assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "hypervisor:"),
                "spec.hypervisor: input should be 'kubevirt' or 'proxmox', got 'kubevirt",
            )
        ],
    )
    assert p.message.endswith("...")


def test_huge_single_line_key_reported_in_a_short_message(repo: Path) -> None:
    edit(repo, KV, "spec:\n", "? " + "x" * 1_000_000 + "\n: 1\nspec:\n")
    (p,) = assert_rejected(repo, [(KV, line_of(repo, KV, "? xxx"), "unknown field 'xxxxxxxx")])
    assert "..." in p.message


def test_control_characters_in_a_key_stay_on_one_line(repo: Path) -> None:
    edit(repo, KV, "spec:\n", '"evil\\nkey\\e[2J": 1\nspec:\n')
    assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, '"evil'),
                "['evil\\nkey\\x1b[2J']: unknown field 'evil\\nkey\\x1b[2J'; remove it",
            )
        ],
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int three", "yaml: cannot read 'three' as !!int"),
        ("!!bool maybe", "yaml: cannot read 'maybe' as !!bool"),
        (
            "!!python/object/apply:os.system [echo]",
            "yaml: tag !!python/object/apply:os.system is not supported; remove it",
        ),
        ("!!binary AAAA", "yaml: tag !!binary is not supported; remove it"),
        ("9" * 5000, "yaml: cannot read '999"),
    ],
    ids=["int-tag", "bool-tag", "python-tag", "binary-tag", "5000-digit-int"],
)
def test_scalars_that_do_not_fit_their_tag(repo: Path, value: str, message: str) -> None:
    """Regression: these raised bare ValueError/KeyError from PyYAML's constructors (exit 4), and a
    tag on a mapping or sequence (!!python/object, !!set) was silently dropped."""
    edit(repo, KV, "      replicas: 3", f"      replicas: {value}")
    assert_rejected(repo, [(KV, line_of(repo, KV, "      replicas: "), message)])


# ---- well-formed YAML, wrong spec ---------------------------------------------------------------


def test_wrong_types_one_message_each(repo: Path) -> None:
    edit(
        repo,
        KV,
        "      replicas: 3\n      machine: {cpus: 2, memory: 4Gi}",
        '      replicas: "3"\n      machine: {cpus: 2.5, memory: 4}',
    )
    n = line_of(repo, KV, 'replicas: "3"')
    assert_rejected(
        repo,
        [
            (KV, n, "spec.workers[0].replicas: input should be a valid integer, got '3'"),
            (KV, n + 1, "spec.workers[0].machine.cpus: input should be a valid integer, got 2.5"),
            (
                KV,
                n + 1,
                "spec.workers[0].machine.memory: 4 is a number, not a Kubernetes quantity; write it as text, e.g. 4Gi",
            ),
        ],
    )


def test_negative_numbers(repo: Path) -> None:
    edit(repo, KV, "      replicas: 3", "      replicas: -3")
    edit(repo, KV, "    machine: {cpus: 2,", "    machine: {cpus: -2,")
    assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "cpus: -2"),
                "spec.controlPlane.machine.cpus: input should be greater than or equal to 1, got -2",
            ),
            (
                KV,
                line_of(repo, KV, "replicas: -3"),
                "spec.workers[0].replicas: input should be greater than or equal to 0, got -3",
            ),
        ],
    )


def test_unknown_field_at_top_level(repo: Path) -> None:
    """Regression: `spce:` also gave two "required field is missing" errors for spec.controlPlane and
    spec.hypervisor, positioned in fleetgen.yaml (where the defaults' partial `spec` is)."""
    edit(repo, KV, "\nspec:\n", "\nspce:\n")
    assert_rejected(
        repo, [(KV, line_of(repo, KV, "spce:"), "spce: unknown field 'spce'; did you mean 'spec'?")]
    )


def test_unknown_field_nested(repo: Path) -> None:
    edit(repo, KV, "      replicas: 3", "      replcas: 3")
    assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "replcas"),
                "spec.workers[0].replcas: unknown field 'replcas'; did you mean 'replicas'?",
            )
        ],
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    replicas: 1\n",
            "    replcas: 1\n",
            "spec.controlPlane.replcas: unknown field 'replcas'; did you mean 'replicas'?",
        ),
        (
            "  controlPlane:\n",
            "  controlPlan:\n",
            "spec.controlPlan: unknown field 'controlPlan'; did you mean 'controlPlane'?",
        ),
        (
            "memory: 4Gi}\n  workers",
            "memroy: 4Gi}\n  workers",
            "spec.controlPlane.machine.memroy: unknown field 'memroy'; did you mean 'memory'?",
        ),
    ],
    ids=["required-scalar", "required-block", "inside-flow-mapping"],
)
def test_misspelt_required_field_is_one_problem(repo: Path, old: str, new: str, message: str) -> None:
    """Regression: a misspelt required field also reported the correct name as missing (two messages)."""
    edit(repo, KV, old, new)
    bad = message.split(": ")[0].rsplit(".", 1)[-1]
    assert_rejected(repo, [(KV, line_of(repo, KV, bad + ":"), message)])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Kv_Demo", "metadata.name: 'Kv_Demo' is not an RFC 1123 label"),
        ("../../etc/passwd", "metadata.name: '../../etc/passwd' is not an RFC 1123 label"),
        ('"../../../outside"', "metadata.name: '../../../outside' is not an RFC 1123 label"),
        ("a" * 64, "metadata.name: must be at most 63 characters (RFC 1123 label), got 64"),
    ],
    ids=["upper-underscore", "path-traversal", "traversal-to-tmp", "64-chars"],
)
def test_name_not_rfc1123_and_nothing_written_anywhere(repo: Path, name: str, message: str) -> None:
    edit(repo, KV, "  name: kv-demo", f"  name: {name}")
    # assert_rejected also checks that no file appeared or vanished anywhere around the repository
    assert_rejected(repo, [(KV, line_of(repo, KV, "  name: "), message)])


@pytest.mark.parametrize(
    ("rel", "old", "new", "needle", "message"),
    [
        (KV, "    env: demo", '    env: "demo value!"', "env:",
         "metadata.labels.env: 'demo value!': a label value must be at most 63 alphanumerics"),
        (KV, "    env: demo", '    "bad key!": demo', "bad key!",
         "metadata.labels['bad key!']: label key 'bad key!': name must be 1-63 alphanumerics"),
        (KV, "    env: demo", "    cluster.x-k8s.io/cluster-name: demo", "cluster.x-k8s.io/cluster-name",
         "metadata.labels['cluster.x-k8s.io/cluster-name']: label cluster.x-k8s.io/cluster-name is set by fleetgen"),
        (CALICO, "      cni: calico", '      cni: "-calico"', "cni:",
         "spec.clusterSelector.matchLabels.cni: '-calico': a label value must be"),
        (CALICO, "      cni: calico", "      cni: calico\n    matchExpressions:\n      - {key: 'bad key!', operator: Exists}",
         "bad key!", "spec.clusterSelector.matchExpressions[0].key: label key 'bad key!': name must be 1-63 alphanumerics"),
        (CALICO, "      cni: calico", "      cni: calico\n    matchExpressions:\n      - {key: env, operator: NotIn, values: ['a b']}",
         "NotIn", "spec.clusterSelector.matchExpressions[0].values[0]: 'a b': a label value must be"),
        (CALICO, "      cni: calico", "      cni: calico\n    matchExpressions:\n      - {key: env, operator: In}",
         "operator: In", "spec.clusterSelector.matchExpressions[0]: operator In needs at least one value"),
        (CALICO, "      cni: calico", "      cni: calico\n    matchExpressions:\n      - {key: env, operator: Exists, values: [x]}",
         "operator: Exists", "spec.clusterSelector.matchExpressions[0]: operator Exists takes no values"),
    ],
    ids=["value", "key", "reserved-key", "selector-value", "selector-expression-key", "selector-expression-value",
         "selector-in-without-values", "selector-exists-with-values"],
)
def test_bad_label_is_reported_at_its_own_line(repo: Path, rel: str, old: str, new: str, needle: str,
                                               message: str) -> None:
    """A label problem points at the label's line, not at the `labels:` key above it."""
    edit(repo, rel, old, new)
    assert_rejected(repo, [(rel, line_of(repo, rel, needle), message)])


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("10.10.10.20-10.10.10.10", "spec.proxmox.ipv4.addresses[0]: '10.10.10.20-10.10.10.10': the range ends before "
                                    "it starts; write 10.10.10.10-10.10.10.20"),
        ("10.10.10.10-fd00::1", "spec.proxmox.ipv4.addresses[0]: '10.10.10.10-fd00::1': the range mixes IPv4 and IPv6"),
        ("10.10.10.300", "spec.proxmox.ipv4.addresses[0]: '10.10.10.300' is not an IP address, an a-b range or a CIDR"),
        ("'10.10.10.10 - 10.10.10.20'", "spec.proxmox.ipv4.addresses[0]: '10.10.10.10 - 10.10.10.20' holds spaces, "
                                        "which CAPMOX and in-cluster IPAM refuse (netipx.ParseIPRange)"),
        ("'10.10.10.10-10.10.10.20 '", "spec.proxmox.ipv4.addresses[0]: '10.10.10.10-10.10.10.20 ' holds spaces"),
    ],
    ids=["reversed", "mixed-family", "not-an-address", "spaces-around-dash", "trailing-space"],
)
def test_bad_node_address_range_says_what_is_wrong(repo: Path, new: str, message: str) -> None:
    edit(repo, PVE, "addresses: [10.10.10.10-10.10.10.20]", f"addresses: [{new}]")
    assert_rejected(repo, [(PVE, line_of(repo, PVE, "addresses:"), message)])


@pytest.mark.parametrize(
    ("addition", "needle", "message"),
    [
        ("      labels: {kubernetes.io/role: worker}\n", "kubernetes.io/role",
         "spec.workers[0].labels['kubernetes.io/role']: the kubelet refuses 'kubernetes.io/role' in --node-labels"),
        ('      taints: [{key: "bad key", effect: NoSchedule}]\n', "taints:",
         "spec.workers[0].taints[0].key: taint key 'bad key': name must be 1-63 alphanumerics"),
        ('      taints: [{key: dedicated, value: "gpu only", effect: NoSchedule}]\n', "taints:",
         "spec.workers[0].taints[0].value: 'gpu only': a label value must be"),
        ("      taints:\n        - {key: dedicated, effect: NoSchedule}\n        - {key: dedicated, value: x, effect: NoSchedule}\n",
         "value: x", "spec.workers[0].taints[1]: dedicated:NoSchedule is set twice (also taints[0]); taints must be unique "
         "by key and effect"),
    ],
    ids=["kubelet-refused-label", "taint-key", "taint-value", "taint-twice"],
)
def test_pool_label_or_taint_the_node_cannot_have(repo: Path, addition: str, needle: str, message: str) -> None:
    """Labels and taints that pass the CAPI webhooks but keep every machine of the pool from joining."""
    edit(repo, KV, "      replicas: 3\n", "      replicas: 3\n" + addition)
    assert_rejected(repo, [(KV, line_of(repo, KV, needle), message)])


def test_two_specs_with_the_same_name(repo: Path) -> None:
    edit(repo, PVE, "  name: pve-demo", "  name: kv-demo")
    assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "name: kv-demo"),
                f"metadata.name: cluster 'kv-demo' in namespace 'clusters' is also defined in {PVE}; "
                "a cluster name must be unique within its namespace",
            ),
            (
                PVE,
                line_of(repo, PVE, "name: kv-demo"),
                f"metadata.name: cluster 'kv-demo' in namespace 'clusters' is also defined in {KV}; "
                "a cluster name must be unique within its namespace",
            ),
        ],
    )


def test_unknown_hypervisor(repo: Path) -> None:
    edit(repo, KV, "hypervisor: kubevirt", "hypervisor: vmware")
    assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "hypervisor:"),
                "spec.hypervisor: input should be 'kubevirt' or 'proxmox', got 'vmware'",
            )
        ],
    )


def test_missing_hypervisor_block(repo: Path) -> None:
    text = (repo / KV).read_text()
    write(repo, KV, text[: text.index("  kubevirt:\n")])
    assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "\nspec:") + 1,
                "spec: hypervisor is 'kubevirt' but the spec.kubevirt block is missing",
            )
        ],
    )


@pytest.mark.parametrize(
    "block",
    ["  proxmox:\n    sourceNode: pve1\n    bridge: vmbr0\n", "  proxmox: {}\n"],
    ids=["partial", "empty"],
)
def test_both_hypervisor_blocks(repo: Path, block: str) -> None:
    """Regression: the extra block's missing fields were reported (five messages), never the problem."""
    write(repo, KV, (repo / KV).read_text() + block)
    assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "  proxmox:"),
                "spec.proxmox: hypervisor is 'kubevirt'; remove the spec.proxmox block (or set hypervisor: proxmox)",
            )
        ],
    )


def test_both_hypervisor_blocks_still_reports_other_problems(repo: Path) -> None:
    write(
        repo,
        KV,
        (repo / KV).read_text().replace("      replicas: 3", "      replicas: -1") + "  proxmox: {}\n",
    )
    assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "replicas: -1"),
                "spec.workers[0].replicas: input should be greater than or equal to 0",
            ),
            (
                KV,
                line_of(repo, KV, "  proxmox:"),
                "spec.proxmox: hypervisor is 'kubevirt'; remove the spec.proxmox block",
            ),
        ],
    )


def test_addon_kind_in_clusters(repo: Path) -> None:
    write(repo, "clusters/calico.yaml", (repo / CALICO).read_text())
    assert_rejected(
        repo,
        [
            (
                "clusters/calico.yaml",
                line_of(repo, "clusters/calico.yaml", "kind:"),
                "kind: expected ClusterSpec in clusters/, got 'Addon'; an addon lives in crs/<name>/addon.yaml",
            )
        ],
    )


def test_missing_kind(repo: Path) -> None:
    edit(repo, KV, "kind: ClusterSpec\n", "")
    assert_rejected(repo, [(KV, line_of(repo, KV, "apiVersion"), "kind: required field is missing")])


def test_wrong_api_version(repo: Path) -> None:
    edit(repo, KV, "apiVersion: fleetgen.dev/v1alpha1", "apiVersion: fleetgen.dev/v1")
    assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "apiVersion"),
                "apiVersion: input should be 'fleetgen.dev/v1alpha1', got 'fleetgen.dev/v1'",
            )
        ],
    )


def test_wrong_api_version_and_kind_are_two_problems(repo: Path) -> None:
    """Both reported: fixing the kind alone must not reveal the apiVersion only on the next run."""
    edit(repo, KV, "apiVersion: fleetgen.dev/v1alpha1", "apiVersion: fleetgen.dev/v1")
    edit(repo, KV, "kind: ClusterSpec", "kind: Cluster")
    assert_rejected(repo, [(KV, line_of(repo, KV, "apiVersion"), "apiVersion: input should be 'fleetgen.dev/v1alpha1', "
                                                                 "got 'fleetgen.dev/v1'"),
                           (KV, line_of(repo, KV, "kind: Cluster"), "kind: expected ClusterSpec in clusters/, got 'Cluster'")])


def test_memory_in_gb(repo: Path) -> None:
    edit(repo, KV, "      machine: {cpus: 2, memory: 4Gi}", "      machine: {cpus: 2, memory: 4GB}")
    (p,) = assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "4GB"),
                "spec.workers[0].machine.memory: '4GB' is not a Kubernetes quantity; write e.g. 4Gi",
            )
        ],
    )
    assert (repo / KV).read_text().splitlines()[p.line - 1][p.col - 1 :].startswith("memory: 4GB")


def test_memory_below_minimum_reported_at_the_field(repo: Path) -> None:
    """Regression: reported at `machine` (the model), not at `machine.memory`."""
    edit(repo, KV, "      machine: {cpus: 2, memory: 4Gi}", "      machine: {cpus: 2, memory: 256Mi}")
    (p,) = assert_rejected(
        repo,
        [
            (
                KV,
                line_of(repo, KV, "256Mi"),
                "spec.workers[0].machine.memory: 256Mi is below the 512Mi a Kubernetes node needs",
            )
        ],
    )
    assert (repo / KV).read_text().splitlines()[p.line - 1][p.col - 1 :].startswith("memory: 256Mi")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "1.33",
            "spec.kubernetesVersion: 1.33 is a number, not a Kubernetes version; write it as text, e.g. v1.33.1",
        ),
        (
            "'1.33.1'",
            "spec.kubernetesVersion: '1.33.1' is not a Kubernetes version; write it as semver with a leading v, e.g. v1.33.1",
        ),
    ],
    ids=["number", "string"],
)
def test_kubernetes_version_without_v(repo: Path, value: str, message: str) -> None:
    edit(repo, KV, "  hypervisor: kubevirt\n", f"  hypervisor: kubevirt\n  kubernetesVersion: {value}\n")
    assert_rejected(repo, [(KV, line_of(repo, KV, "kubernetesVersion"), message)])


# ---- files that are not where they seem --------------------------------------------------------


def test_symlink_to_a_spec_outside_the_repository_is_refused(repo: Path) -> None:
    outside = repo.parent / "outside.yaml"
    outside.write_text((repo / KV).read_text())
    (repo / KV).unlink()
    (repo / KV).symlink_to(outside)
    assert_rejected(repo, [(KV, 1, "symlink to a file outside the repository")])


def test_broken_symlink_is_reported_not_skipped(repo: Path) -> None:
    (repo / KV).unlink()
    (repo / KV).symlink_to(repo / "clusters" / "gone.yaml")
    assert_rejected(repo, [(KV, 1, "broken symlink")])


def test_symlink_inside_the_repository_is_followed(repo: Path) -> None:
    shared = repo / "specs" / "kv-demo.yaml"
    shared.parent.mkdir()
    (repo / KV).rename(shared)
    (repo / KV).symlink_to(Path("../../specs/kv-demo.yaml"))
    result = run("validate", cwd=repo)
    assert result.exit_code == 0 and problems_reported(result, config=False) == [], result
    before = tree_hash(repo / "fleet")
    assert run("render", "--check", cwd=repo).exit_code == 0
    assert tree_hash(repo / "fleet") == before


def test_addon_yaml_symlink_outside_the_repository_is_refused(repo: Path) -> None:
    outside = repo.parent / "addon.yaml"
    outside.write_text((repo / CALICO).read_text())
    (repo / CALICO).unlink()
    (repo / CALICO).symlink_to(outside)
    assert_rejected(repo, [(CALICO, 1, "symlink to a file outside the repository")])


def test_addon_yaml_misnamed_addon_yml_is_reported_not_skipped(repo: Path) -> None:
    (repo / CALICO).rename(repo / "crs/calico/addon.yml")
    assert_rejected(repo, [("crs/calico/addon.yml", 1,
                            "crs/calico/ has no addon.yaml: every folder under crs/ is one addon, described by its "
                            "addon.yaml; rename addon.yml to addon.yaml")])


def test_addon_resource_missing(repo: Path) -> None:
    edit(repo, CALICO, "- calico-installation.yaml", "- calico-install.yaml")
    assert_rejected(
        repo,
        [
            (
                CALICO,
                line_of(repo, CALICO, "calico-install.yaml"),
                "spec.resources[0]: file crs/calico/calico-install.yaml does not exist",
            )
        ],
    )


@pytest.mark.parametrize(
    "name",
    ["../../fleetgen.yaml", "/etc/passwd", "../baseline/platform-rbac.yaml"],
    ids=["parent", "absolute", "sibling-addon"],
)
def test_addon_resource_outside_its_folder(repo: Path, name: str) -> None:
    edit(repo, CALICO, "- calico-installation.yaml", f"- {name}")
    assert_rejected(
        repo,
        [
            (
                CALICO,
                line_of(repo, CALICO, name),
                f"spec.resources[0]: '{name}' must be a file inside crs/calico/",
            )
        ],
    )


def test_addon_resource_symlink_outside_its_folder(repo: Path) -> None:
    (repo / "crs/calico/calico-installation.yaml").unlink()
    (repo / "crs/calico/calico-installation.yaml").symlink_to(repo / CONFIG)
    assert_rejected(
        repo,
        [
            (
                CALICO,
                line_of(repo, CALICO, "calico-installation.yaml"),
                "spec.resources[0]: 'calico-installation.yaml' must be a file inside crs/calico/",
            )
        ],
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"apiVersion: v1\nkind: ConfigMap\x00\x01\x02\n", "is binary; a ConfigMap payload must be text"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            "is not UTF-8 text; a ConfigMap payload must be text",
        ),
    ],
    ids=["nul-bytes", "png"],
)
def test_addon_resource_binary(repo: Path, data: bytes, message: str) -> None:
    write(repo, "crs/calico/calico-installation.yaml", data)
    assert_rejected(
        repo,
        [
            (
                CALICO,
                line_of(repo, CALICO, "calico-installation.yaml"),
                f"spec.resources[0]: 'calico-installation.yaml' {message}",
            )
        ],
    )


# ---- fleetgen.yaml: a configuration error (exit 2) ----------------------------------------------


def test_broken_fleetgen_yaml_syntax(repo: Path) -> None:
    edit(repo, CONFIG, "  branch: main\n", "  branch: [main\n")
    assert_rejected(
        repo,
        [(CONFIG, line_of(repo, CONFIG, "namespace: fleet-local"), "yaml: did not find expected ',' or ']'")],
        code=2,
    )


def test_broken_fleetgen_yaml_wrong_type_and_unknown_field(repo: Path) -> None:
    edit(repo, CONFIG, "  branch: main", "  branch: 3\n  brnach: main")
    assert_rejected(
        repo,
        [
            (
                CONFIG,
                line_of(repo, CONFIG, "branch: 3"),
                "gitops.branch: input should be a valid string, got 3",
            ),
            (
                CONFIG,
                line_of(repo, CONFIG, "brnach"),
                "gitops.brnach: unknown field 'brnach'; did you mean 'branch'?",
            ),
        ],
        code=2,
    )


def test_interval_longer_than_a_go_duration_is_a_configuration_error(repo: Path) -> None:
    """Flux decodes `interval` into a Go time.Duration (int64 nanoseconds, about 2562047h)."""
    edit(repo, CONFIG, "  branch: main", "  branch: main\n  interval: 9999999h")
    assert_rejected(repo, [(CONFIG, line_of(repo, CONFIG, "interval: 9999999h"),
                            "gitops.interval: '9999999h' is longer than a Go duration can hold (about 2562047h); "
                            "the GitOps agent could not read it")], code=2)
    edit(repo, CONFIG, "  interval: 9999999h", "  interval: 2562047h")
    assert run("validate", cwd=repo).exit_code == 0


def test_interval_past_fleets_cel_bound_is_a_configuration_error(repo: Path) -> None:
    """Past 2562047h but within a Go duration: Fleet's GitRepo CEL rule refuses it (`duration(self)
    <= duration('2562047h')`), so fleetgen.yaml does, at its line, like every other interval problem."""
    edit(repo, CONFIG, "  branch: main", "  branch: main\n  interval: 2562047h1m")
    assert_rejected(repo, [(CONFIG, line_of(repo, CONFIG, "interval: 2562047h1m"),
                            "gitops.interval: '2562047h1m' is longer than Fleet's limit of 2562047h")], code=2)


@pytest.mark.parametrize(("agent", "interval", "accepted"), [
    ("fleet", '"0"', True), ("fleet", "0", True), ("fleet", "30", False), ("fleet", "500us", True), ("fleet", "90ns", True), ("fleet", "1.5µs", True),
    ("fleet", "2562047h", True), ("fleet", "1h30m", True), ("flux", "1h30m", True), ("flux", "0.5s", True),
    ("fleet", "5d", False), ("fleet", '"1' + "0" * 31 + 's"', False), ("fleet", "1h 30m", False),
    ("flux", '"0"', False), ("flux", "500us", False), ("flux", "90ns", False), ("flux", "2w", False)])
def test_interval_takes_the_units_its_agents_crd_accepts(repo: Path, agent: str, interval: str,
                                                          accepted: bool) -> None:
    """Fleet's pollingInterval CEL rule takes `0` and ns/us/µs (at most 32 characters); Flux's
    interval pattern only ms, s, m and h. Each refusal names the agent's units, at the line."""
    edit(repo, CONFIG, "agent: fleet ", f"agent: {agent} ")
    edit(repo, CONFIG, "  branch: main", f"  branch: main\n  interval: {interval}")
    result = run("validate", cwd=repo)
    if accepted:
        assert result.exit_code == 0 and "errors: 0, warnings: 0" in result.stdout, result.stdout + result.stderr
        return
    line = line_of(repo, CONFIG, f"interval: {interval}")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"{CONFIG}:{line}:3: gitops.interval: " in result.stderr
    assert ("characters (Fleet's GitRepo pollingInterval maxLength)" in result.stderr if len(interval) > 30 else
            f"is not a duration {'Flux' if agent == 'flux' else 'Fleet'}'s interval accepts" in result.stderr)


@pytest.mark.parametrize("data", [b"", b"\x00\xff" * 10, "- fleet\n"], ids=["empty", "binary", "list"])
def test_unreadable_fleetgen_yaml(repo: Path, data: str | bytes) -> None:
    write(repo, CONFIG, data)
    message = {b"": "empty file", b"\x00\xff" * 10: "not a text file"}.get(data, "expected a mapping")  # type: ignore[call-overload]
    assert_rejected(repo, [(CONFIG, 1, message)], code=2)


def test_bad_defaults_are_invalid_input_reported_once(repo: Path) -> None:
    """Invalid defaults (a partial ClusterSpec) are spec input: exit 1, each problem once, at
    fleetgen.yaml's line, not once per cluster inheriting it (regression), and in every report format."""
    edit(repo, CONFIG, "kubernetesVersion: v1.33.1", "kubernetesVersion: 1.33\n    replcas: 1")
    assert_rejected(
        repo,
        [
            (
                CONFIG,
                line_of(repo, CONFIG, "kubernetesVersion"),
                "defaults.spec.kubernetesVersion: 1.33 is a number, not a Kubernetes version",
            ),
            (
                CONFIG,
                line_of(repo, CONFIG, "replcas"),
                "defaults.spec.replcas: unknown field 'replcas'; remove it",
            ),
        ],
    )
    result = run("validate", "--format", "json", cwd=repo)
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule_id"], f["file"], f["line"]) for f in findings] == [
        ("spec", CONFIG, line_of(repo, CONFIG, "kubernetesVersion")), ("spec", CONFIG, line_of(repo, CONFIG, "replcas"))]


@pytest.mark.parametrize(("value", "message"), [
    ("[1, 2]", "defaults: expected a mapping (a partial ClusterSpec), got a list"),
    ("5", "defaults: expected a mapping (a partial ClusterSpec), got a number"),
], ids=["list", "number"])
def test_defaults_that_are_not_a_mapping_are_invalid_input(repo: Path, value: str, message: str) -> None:
    text = (repo / CONFIG).read_text()
    head = text[: text.index("defaults:")]
    write(repo, CONFIG, head + f"defaults: {value}\n")
    assert_rejected(repo, [(CONFIG, line_of(repo, CONFIG, "defaults:"), message)])


def test_empty_defaults_are_no_defaults(repo: Path) -> None:
    # every entry commented out leaves `defaults:` null: the specs then miss what it gave them
    text = (repo / CONFIG).read_text()
    write(repo, CONFIG, text[: text.index("defaults:")] + "defaults:\n#  spec: {kubernetesVersion: v1.33.1}\n")
    assert_rejected(repo, [(KV, line_of(repo, KV, "\nspec:") + 1, "spec.kubernetesVersion: required field is missing"),
                           (PVE, line_of(repo, PVE, "\nspec:") + 1, "spec.kubernetesVersion: required field is missing")])


# ---- several problems at once ------------------------------------------------------------------


def test_several_broken_files_all_reported_sorted_by_file_and_line(repo: Path) -> None:
    edit(repo, PVE, "    bridge: vmbr0", "    bridge: vmbr0\n    brigde: vmbr1")
    edit(repo, PVE, "templateID: 100", "templateID: '100'")
    edit(repo, KV, "    replicas: 1\n", "\treplicas: 1\n")
    edit(repo, CALICO, "- calico-installation.yaml", "- missing.yaml")
    write(repo, "clusters/a-empty.yaml", "")
    write(repo, "clusters/z/bomb.yaml", "a: " + "[" * 50_000 + "\n")
    assert_rejected(
        repo,
        [
            ("clusters/a-empty.yaml", 1, "empty file"),
            (KV, line_of(repo, KV, "\treplicas"), "found a tab character"),
            (
                PVE,
                line_of(repo, PVE, "templateID"),
                "spec.proxmox.templateID: input should be a valid integer, got '100'",
            ),
            (
                PVE,
                line_of(repo, PVE, "brigde"),
                "spec.proxmox.brigde: unknown field 'brigde'; did you mean 'bridge'?",
            ),
            ("clusters/z/bomb.yaml", 1, "nests deeper than 200 levels"),
            (
                CALICO,
                line_of(repo, CALICO, "missing.yaml"),
                "spec.resources[0]: file crs/calico/missing.yaml does not exist",
            ),
        ],
    )


# ---- values that parse but cannot be rendered ---------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "memory: 4Gi, diskSize",
            "memory: '" + "9" * 5000 + "', diskSize",
            "spec.controlPlane.machine.memory: 99999",
        ),
        (
            "memory: 4Gi, diskSize",
            "memory: 999999Ei, diskSize",
            "spec.controlPlane.machine.memory: 999999Ei is above 1Pi",
        ),
        ("diskSize: 20Gi}", "diskSize: " + "9" * 300 + "Gi}", "spec.controlPlane.machine.diskSize: 99999"),
    ],
    ids=["5000-digit-memory", "memory-in-exbibytes", "300-digit-disk"],
)
def test_sizes_beyond_what_a_machine_or_the_crd_can_hold(
    repo: Path, old: str, new: str, message: str
) -> None:
    """Regression: a 5000-digit memory crashed JSON encoding (exit 4, "internal error"); 999999Ei
    rendered a Proxmox memoryMiB far past the CRD's int32 without a word."""
    edit(repo, PVE, old, new)
    (p,) = assert_rejected(repo, [(PVE, line_of(repo, PVE, new[:8]), message)])
    assert "above 1Pi, the most fleetgen accepts; check the unit" in p.message


@pytest.mark.parametrize(
    ("rel", "old", "new", "message"),
    [
        (
            KV,
            "image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1",
            'image: "quay.io/capk/a\\nb\\a"',
            "spec.kubevirt.image: 'quay.io/capk/a\\nb\\x07' is not an image reference",
        ),
        (
            KV,
            "image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1",
            "image: quay.io/" + "x" * 2_000_000,
            "spec.kubevirt.image: 'quay.io/xxxxx",
        ),
        (PVE, "sourceNode: pve1", "sourceNode: " + "p" * 1_000_000, "spec.proxmox.sourceNode: 'ppppp"),
        (
            PVE,
            "bridge: vmbr0",
            "bridge: vmbr0 vlan=5",
            "spec.proxmox.bridge: 'vmbr0 vlan=5' is not a network interface name",
        ),
    ],
    ids=["image-control-characters", "image-2MB", "node-1MB", "bridge-with-space"],
)
def test_free_text_fields_that_would_render_garbage(
    repo: Path, rel: str, old: str, new: str, message: str
) -> None:
    """Regression: these rendered into fleet/ with exit 0 (a 2 MB image name, a newline and BEL in it)."""
    edit(repo, rel, old, new)
    (p,) = assert_rejected(repo, [(rel, line_of(repo, rel, new[:10]), message)])
    assert len(p.message) < 200


def test_empty_documents_in_an_addon_manifest_are_skipped(repo: Path) -> None:
    """Regression: `---` with nothing after it (kubectl skips it) was reported as a document that is
    "not a Kubernetes object (got a NoneType)"; yamlio's documented behaviour is to skip it."""
    path = repo / "crs/calico/calico-installation.yaml"
    path.write_text("---\n---\n" + path.read_text() + "---\n# trailing comment\n---\n")
    result = run("validate", cwd=repo)
    assert result.exit_code == 0 and problems_reported(result, config=False) == [], result


def test_symlinked_folder_leading_outside_the_repository_is_refused(repo: Path) -> None:
    """Regression: rglob does not enter symlinked folders, so kv-demo silently left the fleet (exit 0)."""
    outside = repo.parent / "elsewhere"
    (repo / "clusters" / "kubevirt").rename(outside)
    (repo / "clusters" / "kubevirt").symlink_to(outside)
    message = "symlink to a folder outside the repository; fleetgen reads only files in the repository, so copy the folder in"
    assert_rejected(repo, [("clusters/kubevirt", 1, message)])


def test_symlinked_folders_inside_the_repository_are_followed_once(repo: Path) -> None:
    (repo / "clusters" / "kubevirt").rename(repo / "kv-specs")
    (repo / "clusters" / "kubevirt").symlink_to(Path("../kv-specs"))
    (repo / "clusters" / "proxmox" / "again").symlink_to(Path("../proxmox"))  # a folder already walked
    (repo / "clusters" / "loop").symlink_to(Path(".."))  # a link back up the tree
    result = run("validate", cwd=repo)
    assert result.exit_code == 0 and problems_reported(result, config=False) == [], result
    assert run("render", "--check", cwd=repo).exit_code == 0


def test_empty_addon_payload_file_is_reported_at_its_resources_entry(repo: Path) -> None:
    """Regression: a 0-byte payload rendered into the ConfigMap (exit 0); the CRS controller then fails
    on the whole ConfigMap (isJSONList peeks 32 bytes: EOF) and applies none of its files."""
    write(repo, "crs/calico/empty.yaml", b"")
    edit(repo, CALICO, "    - calico-installation.yaml\n", "    - calico-installation.yaml\n    - empty.yaml\n")
    assert_rejected(repo, [(CALICO, line_of(repo, CALICO, "- empty.yaml"),
                            "spec.resources[1]: empty.yaml is empty; the ClusterResourceSet controller fails on a "
                            "payload shorter than 32 bytes (EOF)")])


@pytest.mark.parametrize(("old", "new", "rule", "line"), [
    ("host: 10.10.10.9,", "host: 10.10.10.15,", "proxmox-vip-in-range", 26),
    ("addresses: [10.10.10.10-10.10.10.20]", "addresses: [10.10.10.10-10.10.10.20, fd00::5]", "proxmox-address-family", 28),
    ("addresses: [10.10.10.10-10.10.10.20]", "addresses: [10.10.10.10-10.10.10.20, 10.10.20.5]", "proxmox-addresses-subnet", 28),
    ("gateway: 10.10.10.1", "gateway: fd00::1", "proxmox-address-family", 30),
], ids=["endpoint-in-addresses", "ipv6-address", "other-subnet", "ipv6-gateway"])
def test_proxmox_address_problem_in_a_spec_is_one_finding_not_also_the_webhook_mirrors(
        repo: Path, old: str, new: str, rule: str, line: int) -> None:
    """capmox-cluster checks the same on the rendered ProxmoxCluster (for hand edits under fleet/);
    from a spec, the spec rule's finding at the same line is the one reported."""
    spec = repo / "clusters/proxmox/pve-demo.yaml"
    text = spec.read_text()
    assert text.count(old) == 1
    spec.write_text(text.replace(old, new))
    result = run("validate", "--format", "json", cwd=repo)
    assert result.exit_code == 1
    found = [(f["rule_id"], f["file"], f["line"]) for f in json.loads(result.stdout)["findings"]]
    assert found == [(rule, "clusters/proxmox/pve-demo.yaml", line)]
