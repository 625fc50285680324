"""Semantic policy rules: what the API server and the CAPI/CAPK/CAPMOX/IPAM webhooks would reject.

Owns: `RULE_BY_ID`, the registry of every policy rule (one module per rule under
`fleetgen.policy.rules`, imported explicitly), and `run_rules`, which runs rules against a
`PolicyContext` and collects their findings. A rule that raises does not hide the other rules'
findings: it becomes one `internal` finding naming the rule. Must not print, read files or render.

Rule groups:
    spec-level       checks of ClusterSpecs and addons (positions straight from the spec file);
    rendered-object  the webhooks' create/update checks run on rendered objects (positions mapped
                     back to the spec through each object's origin map);
    transition       base revision vs working tree (immutability, upgrade steps); they yield
                     nothing when `ctx.base` is None;
    fleet-wide       checks across clusters and addons (IP overlaps, addon selection).

Scopes (`Rule.scope`, see `fleetgen.policy.base`): a `cluster` rule's findings on a fleet are the
union of its findings on each cluster alone and on the rest of the fleet, so the incremental
pipeline runs it per cluster (`run_cluster_rules`, cached with the cluster) and once on the rest,
and merges with `merge_rule_findings`; `fleet` and `transition` rules run on the whole context.

Example:
    >>> ctx = PolicyContext(fleet, render_fleet(fleet))     # doctest: +SKIP
    >>> for finding in run_rules(ctx):                      # doctest: +SKIP
    ...     print(finding.position, finding.rule_id, finding.message)
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterable

from fleetgen.findings import Finding, Position, Severity
from fleetgen.policy.base import PolicyContext, Rule
from fleetgen.policy.emit import merge_defaults_findings
from fleetgen.policy.rules import (
    addon_selects_nothing,
    autoscaling_bounds,
    capmox_cluster,
    capmox_machine,
    cidr_overlap,
    cluster_immutable,
    cluster_network_change,
    cluster_removed,
    cluster_webhook,
    cni_addon_missing,
    control_plane_endpoint_change,
    cp_replicas_odd,
    crs_immutable,
    crs_payload_change,
    crs_webhook,
    gitops_repo_path,
    immutable_template,
    infrastructure_provider_change,
    ip_pool_shrink,
    k8s_upgrade_skip,
    k8s_version_supported,
    kcp_immutable_fields,
    kcp_webhook,
    kubeadm_config_webhook,
    kubeadm_networking,
    kubelet_node_labels,
    kubevirt_image_version,
    label_values,
    md_webhook,
    mhc_webhook,
    name_length,
    no_inline_credentials,
    proxmox_address_family,
    proxmox_addresses_subnet,
    proxmox_endpoint_in_subnet,
    proxmox_gateway_in_prefix,
    proxmox_ip_overlap,
    proxmox_pool_capacity,
    proxmox_rollout_capacity,
    proxmox_vip_in_range,
    unique_object_names,
    unique_pool_names,
    worker_taints,
    worker_version_skew,
)

__all__ = ["INTERNAL_RULE_ID", "OBJECT_RULES", "RULE_BY_ID", "RULES", "SUPERSEDES", "PolicyContext", "Rule", "merge_rule_findings",
           "rule_doc", "rule_scope", "run_cluster_rules", "run_rules"]

#: Rule id of the finding that replaces the output of a rule that crashed.
INTERNAL_RULE_ID = "internal"

#: The rendered-object rules: the webhooks' create/update checks, on rendered objects.
_WEBHOOK_MIRRORS: tuple[Rule, ...] = (
    kcp_webhook.RULE,
    kubeadm_config_webhook.RULE,
    md_webhook.RULE,
    mhc_webhook.RULE,
    crs_webhook.RULE,
    cluster_webhook.RULE,
    capmox_machine.RULE,
    capmox_cluster.RULE,
    label_values.RULE,
)

#: Every rule, in documentation order: spec-level, rendered-object, transition, fleet-wide.
RULES: tuple[Rule, ...] = (
    # spec-level
    cp_replicas_odd.RULE,
    name_length.RULE,
    unique_pool_names.RULE,
    cidr_overlap.RULE,
    kubeadm_networking.RULE,
    proxmox_vip_in_range.RULE,
    proxmox_gateway_in_prefix.RULE,
    proxmox_endpoint_in_subnet.RULE,
    proxmox_address_family.RULE,
    proxmox_addresses_subnet.RULE,
    proxmox_pool_capacity.RULE,
    autoscaling_bounds.RULE,
    kubelet_node_labels.RULE,
    worker_taints.RULE,
    no_inline_credentials.RULE,
    kubevirt_image_version.RULE,
    k8s_version_supported.RULE,
    # rendered-object
    *_WEBHOOK_MIRRORS,
    # transition (need ctx.base)
    immutable_template.RULE,
    kcp_immutable_fields.RULE,
    k8s_upgrade_skip.RULE,
    worker_version_skew.RULE,
    crs_immutable.RULE,
    cluster_immutable.RULE,
    ip_pool_shrink.RULE,
    control_plane_endpoint_change.RULE,
    infrastructure_provider_change.RULE,
    crs_payload_change.RULE,
    cluster_network_change.RULE,
    proxmox_rollout_capacity.RULE,
    cluster_removed.RULE,
    # fleet-wide
    unique_object_names.RULE,
    proxmox_ip_overlap.RULE,
    addon_selects_nothing.RULE,
    cni_addon_missing.RULE,
    gitops_repo_path.RULE,
)

#: The rules that read only rendered objects, no spec and no base: the webhook mirrors and the
#: MachineSet preflight version skew. `fleetgen.vcs.edited_output` runs them on output files edited
#: by hand, whose objects no spec produced.
OBJECT_RULES: tuple[Rule, ...] = (*_WEBHOOK_MIRRORS, worker_version_skew.RULE)

#: Rule id -> rule. Ids are stable: never reused or renamed.
RULE_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

if len(RULE_BY_ID) != len(RULES):  # pragma: no cover - guarded by tests
    raise RuntimeError("duplicate policy rule id")

#: rule id -> rule ids whose finding at the *same position* it replaces. A spec-level rule and the
#: webhook mirror that checks the rendered result of the same field would otherwise report one
#: problem twice; the spec-level message is the one that says what to change in the spec.
SUPERSEDES: dict[str, frozenset[str]] = {
    "cp-replicas-odd": frozenset({"kcp-webhook"}),
    "proxmox-vip-in-range": frozenset({"capmox-cluster"}),
    "proxmox-address-family": frozenset({"capmox-cluster"}),
    "proxmox-addresses-subnet": frozenset({"capmox-cluster"}),
}


#: Rules that report a file position at most once per run (the first finding there wins), so their
#: per-cluster findings are merged the same way: `no-inline-credentials` scans fleetgen.yaml and
#: then every cluster, whose merged spec holds the same fleetgen.yaml positions for its defaults.
_FIRST_PER_POSITION = frozenset({"no-inline-credentials"})


def rule_scope(rule: Rule) -> str:
    """The rule's scope (`cluster`, `fleet` or `transition`); `fleet` when it declares none."""
    scope = getattr(rule, "scope", "fleet")
    return scope if scope in ("cluster", "fleet", "transition") else "fleet"


def rule_doc(rule: Rule) -> str:
    """The user documentation of a rule: its module's docstring."""
    module = sys.modules.get(type(rule).__module__)
    return (module.__doc__ or "").strip() if module else ""


def run_rules(ctx: PolicyContext, rules: Iterable[Rule | str] | None = None) -> list[Finding]:
    """Run policy rules and collect their findings.

    Args:
        ctx: the loaded fleet, its rendered output and optionally the base revision's.
        rules: rules or rule ids to run, in order; all of `RULES` when None.

    Returns:
        The findings of every rule, sorted by file, line, column, rule id and message. A rule that
        raises keeps the findings it yielded before and adds one `internal` error naming it and the
        exception, so one rule's bug never hides the others' findings. Where a spec-level rule and
        a webhook mirror report the same position (`SUPERSEDES`), only the spec-level finding is
        kept.

    Raises:
        KeyError: if a rule id is unknown (a caller bug, not bad input).
    """
    selected = [RULE_BY_ID[r] if isinstance(r, str) else r for r in (RULES if rules is None else rules)]
    return sorted(_one_per_problem(_run(ctx, selected)), key=Finding.sort_key)


def _run(ctx: PolicyContext, rules: Iterable[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        try:
            for finding in rule.check(ctx):
                findings.append(finding)
        except Exception as err:  # noqa: BLE001 - a rule bug must not hide the other rules' findings
            findings.append(_internal_finding(rule, err))
    return findings


def run_cluster_rules(ctx: PolicyContext) -> list[Finding]:
    """The raw findings of every `cluster`-scope rule on `ctx`, in rule order, for `merge_rule_findings`.

    Args:
        ctx: one cluster alone (its fleet holds that cluster and no addons; its rendered output
            that cluster's files), or the rest of the fleet (no clusters, every addon, the other
            files). Never with a base.

    Returns:
        Findings, unsorted, with `SUPERSEDES` not yet applied (it is applied fleet-wide).
    """
    return _run(ctx, [r for r in RULES if rule_scope(r) == "cluster"])


def merge_rule_findings(whole: PolicyContext, rest: list[Finding], clusters: Iterable[Iterable[Finding]]) -> list[Finding]:
    """Every rule's findings on a fleet whose `cluster`-scope rules ran per cluster.

    Equal to `run_rules(whole)` when `rest` is `run_cluster_rules` on the rest of the fleet and
    `clusters` holds `run_cluster_rules` on each cluster alone, in fleet order.

    Args:
        whole: the whole fleet; `fleet` and `transition` rules run on it here.
        rest: the cluster-scope findings on the rest of the fleet.
        clusters: the cluster-scope findings of each cluster, in `whole.fleet.clusters` order.

    Returns:
        Findings sorted as `run_rules` sorts them.
    """
    by_rule: dict[str, list[Finding]] = {}
    internal: list[Finding] = []
    for part in (rest, *clusters):
        for f in part:
            if f.rule_id == INTERNAL_RULE_ID:
                if f not in internal:
                    internal.append(f)
            else:
                by_rule.setdefault(f.rule_id, []).append(f)
    findings: list[Finding] = []
    for rule in RULES:
        if rule_scope(rule) != "cluster":
            findings.extend(_run(whole, [rule]))
            continue
        found = by_rule.get(rule.id, [])
        if rule.id in _FIRST_PER_POSITION:
            seen: set[Position] = set()
            kept = []
            for f in found:
                if f.position not in seen:
                    seen.add(f.position)
                    kept.append(f)
            found = kept
        findings.extend(found)
    cluster_ids = {r.id for r in RULES if rule_scope(r) == "cluster"}
    findings.extend(f for rule_id, found in by_rule.items() if rule_id not in cluster_ids for f in found)
    findings.extend(internal)
    return sorted(_one_per_problem(findings), key=Finding.sort_key)


def _one_per_problem(findings: list[Finding]) -> list[Finding]:
    """`SUPERSEDES` applied, and a default's problem inherited by several clusters reported once."""
    covered = {(rule_id, f.position) for f in findings for rule_id in SUPERSEDES.get(f.rule_id, ())}
    return merge_defaults_findings(f for f in findings if (f.rule_id, f.position) not in covered)


def _internal_finding(rule: Rule, err: Exception) -> Finding:
    frames = traceback.extract_tb(err.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown location"
    rule_id = getattr(rule, "id", type(rule).__name__)
    return Finding(
        INTERNAL_RULE_ID,
        Severity.ERROR,
        f"rule {rule_id} failed with {type(err).__name__}: {err}; its checks did not complete",
        Position("fleetgen.yaml"),
        hint=f"this is a fleetgen bug, please report it (raised at {where})",
    )
