"""md-webhook: rendered MachineDeployments must pass the MachineDeployment admission webhook.

Mirrors the MachineDeployment validating webhook (after its defaulting) on every rendered
MachineDeployment:

* `spec.selector` parses and matches `spec.template.metadata.labels` ("must match spec.selector");
  the defaulting webhook first adds `cluster.x-k8s.io/cluster-name` to both, and
  `cluster.x-k8s.io/deployment-name` when the selector is empty, and so does this rule;
* `spec.clusterName` equals `spec.template.spec.clusterName` ("spec.clusterName and
  spec.template.spec.clusterName must be set to the same value");
* `spec.template.spec.bootstrap` has `configRef` or `dataSecretName` ("expected either
  spec.template.spec.bootstrap.dataSecretName or spec.template.spec.bootstrap.configRef to be
  populated");
* `spec.template.spec.version`, when set, is a semantic version with a leading `v`;
* `spec.rollout.strategy.rollingUpdate.{maxSurge,maxUnavailable}` and
  `spec.remediation.maxInFlight` are ints or percentages ("must be either an int or a
  percentage"), and maxSurge and maxUnavailable are not both 0 ("maxUnavailable and maxSurge
  cannot both be 0": the rollout could never make progress).

* `metadata.name` is a valid label value ("must be a valid label value": it becomes the
  `cluster.x-k8s.io/deployment-name` label of its Machines);
* `spec.machineNaming.template`, when set, contains `{{ .random }}` ("invalid template,
  {{ .random }} is missing"; also checked on KubeadmControlPlanes by `kcp-webhook`);
* the `machineset.cluster.x-k8s.io/skip-preflight-checks` annotation names known preflight
  checks only ("skipped preflight check(s) must be among: ...");
* `spec.template.spec.taints` is not set: the MachineTaintPropagation feature gate (alpha, off
  by default) is needed for it ("taints are not allowed to be set when the feature gate
  MachineTaintPropagation is disabled"); fleetgen puts a pool's taints in its
  KubeadmConfigTemplate's `nodeRegistration.taints`.

A spec's names are checked on the spec by `name-length`, and fleetgen shortens the names it
derives, so the name check catches a MachineDeployment edited by hand under `fleet/`.

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/machinedeployment.go (`Default`,
    `validate`), internal/util/taints/validation.go, api/core/v1beta2/machineset_types.go
    (`MachineSetPreflightCheck*`), util/naming (`machineNaming` templates); FIELD.md §2.1.2, §1.24.

Failing example::

    apiVersion: cluster.x-k8s.io/v1beta2
    kind: MachineDeployment
    spec:
      clusterName: kv-demo
      selector: {matchLabels: {pool: md-0}}
      template:
        metadata: {labels: {pool: md-1}}          # does not match the selector
        spec: {clusterName: kv-demo, version: v1.33.1, bootstrap: {}}   # no configRef

Passing example::

    apiVersion: cluster.x-k8s.io/v1beta2
    kind: MachineDeployment
    spec:
      clusterName: kv-demo
      selector: {matchLabels: {pool: md-0}}
      template:
        metadata: {labels: {pool: md-0}}
        spec:
          clusterName: kv-demo
          version: v1.33.1
          bootstrap: {configRef: {apiGroup: bootstrap.cluster.x-k8s.io, kind: KubeadmConfigTemplate, name: kv-demo-md-0-1a2b3c4d}}
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.kversion import version_format_problem
from fleetgen.policy.labels import (
    CLUSTER_NAME_LABEL,
    format_selector,
    label_value_errors,
    selector_errors,
    selector_matches,
)
from fleetgen.policy.objects import get, objects_of_kind

CAPI_GROUP = "cluster.x-k8s.io"
DEPLOYMENT_NAME_LABEL = "cluster.x-k8s.io/deployment-name"
_PERCENT = re.compile(r"^[0-9]+%$")


#: The MachineSet preflight checks the skip annotation may name (CAPI v1.12 `MachineSetPreflightCheck*`).
PREFLIGHT_CHECKS = ("All", "KubeadmVersionSkew", "KubernetesVersionSkew", "ControlPlaneIsStable",
                    "ControlPlaneVersionSkew")
SKIP_PREFLIGHT_ANNOTATION = "machineset.cluster.x-k8s.io/skip-preflight-checks"


def naming_template_problem(template: object) -> str | None:
    """None if a `spec.machineNaming.template` is acceptable, else the webhook's complaint (it must
    contain `{{ .random }}`, so names of Machines of one owner never collide)."""
    if not isinstance(template, str) or "{{ .random }}" in template:
        return None
    return "invalid template, {{ .random }} is missing"


def int_or_percent_problem(value: object) -> str | None:
    """None if `value` is an int or an `N%` string, else the webhook's complaint."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    if isinstance(value, str) and _PERCENT.match(value):
        return None
    return f"must be either an int or a percentage, got {value!r}"


class MdWebhookRule:
    """Rendered MachineDeployments pass the MachineDeployment webhook."""

    id = "md-webhook"
    severity = Severity.ERROR
    summary = ("rendered MachineDeployments must pass the MachineDeployment admission webhook (name, selector, clusterName, "
               "bootstrap, version, rollout, naming template, preflight skips, taints)")
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per webhook rule a rendered MachineDeployment breaks."""
        for file, obj in objects_of_kind(ctx.rendered, "MachineDeployment", group=CAPI_GROUP):
            m = obj.manifest

            def finding(pointer: str, problem: str, file=file, obj=obj) -> Finding:
                return object_finding(self, ctx, file, obj, pointer, problem)

            name_errors = label_value_errors(obj.ref.name)
            if name_errors:
                yield finding("/metadata/name", f"must be a valid label value: {'; '.join(name_errors)}")
            problem = naming_template_problem(get(m, "/spec/machineNaming/template"))
            if problem:
                yield finding("/spec/machineNaming/template", problem)
            annotations = get(m, "/metadata/annotations")
            skip = annotations.get(SKIP_PREFLIGHT_ANNOTATION) if isinstance(annotations, dict) else None
            if isinstance(skip, str) and skip:  # upstream: an empty annotation skips nothing and passes
                unknown = [c.strip() for c in skip.split(",") if c.strip() not in PREFLIGHT_CHECKS]
                if unknown:
                    yield finding(f"/metadata/annotations/{SKIP_PREFLIGHT_ANNOTATION.replace('/', '~1')}",
                                  f"skipped preflight check(s) must be among: {', '.join(PREFLIGHT_CHECKS)}; "
                                  f"got {', '.join(repr(c) for c in unknown)}")
            if get(m, "/spec/template/spec/taints"):
                yield finding("/spec/template/spec/taints",
                              "taints are not allowed to be set when the feature gate MachineTaintPropagation is disabled "
                              "(alpha, off by default)")
            cluster_name = get(m, "/spec/clusterName")
            selector = get(m, "/spec/selector") or {}
            errors = selector_errors(selector)
            if errors:
                yield finding("/spec/selector", "; ".join(errors))
            else:
                match_labels: dict[str, Any] = dict(selector.get("matchLabels") or {})
                expressions: list[Any] = list(selector.get("matchExpressions") or [])
                labels = dict(get(m, "/spec/template/metadata/labels") or {})
                if not match_labels and not expressions:
                    match_labels[DEPLOYMENT_NAME_LABEL] = obj.ref.name
                    labels[DEPLOYMENT_NAME_LABEL] = obj.ref.name
                match_labels[CLUSTER_NAME_LABEL] = cluster_name
                labels[CLUSTER_NAME_LABEL] = cluster_name
                defaulted = {"matchLabels": match_labels, "matchExpressions": expressions}
                if not selector_matches(defaulted, labels):
                    yield finding("/spec/template/metadata/labels", f"must match spec.selector {format_selector(defaulted)!r}")
            template_cluster = get(m, "/spec/template/spec/clusterName")
            if cluster_name != template_cluster:
                yield finding("/spec/template/spec/clusterName",
                              "spec.clusterName and spec.template.spec.clusterName must be set to the same value, "
                              f"got {cluster_name!r} and {template_cluster!r}")
            bootstrap = get(m, "/spec/template/spec/bootstrap") or {}
            if not (isinstance(bootstrap, dict) and (bootstrap.get("configRef") or bootstrap.get("dataSecretName"))):
                yield finding("/spec/template/spec/bootstrap",
                              "expected either spec.template.spec.bootstrap.dataSecretName or "
                              "spec.template.spec.bootstrap.configRef to be populated")
            version = get(m, "/spec/template/spec/version")
            if version is not None:
                problem = version_format_problem(version)
                if problem:
                    yield finding("/spec/template/spec/version", problem)
            rolling = get(m, "/spec/rollout/strategy/rollingUpdate") or {}
            bad = False
            for field in ("maxSurge", "maxUnavailable"):
                if field in rolling:
                    problem = int_or_percent_problem(rolling[field])
                    if problem:
                        bad = True
                        yield finding(f"/spec/rollout/strategy/rollingUpdate/{field}", problem)
            if not bad and rolling.get("maxSurge", 1) == 0 and rolling.get("maxUnavailable", 0) == 0:
                yield finding("/spec/rollout/strategy/rollingUpdate", "maxUnavailable and maxSurge cannot both be 0")
            in_flight = get(m, "/spec/remediation/maxInFlight")
            if in_flight is not None:
                problem = int_or_percent_problem(in_flight)
                if problem:
                    yield finding("/spec/remediation/maxInFlight", problem)


RULE = MdWebhookRule()
