"""mhc-webhook: rendered MachineHealthChecks must pass the MachineHealthCheck admission webhook.

Mirrors the MachineHealthCheck validating webhook on every rendered MachineHealthCheck:

* `spec.selector` parses and is not empty ("selector must not be empty" — an empty selector
  would health-check, and remediate, every Machine of the cluster, control plane included);
* a `cluster.x-k8s.io/cluster-name` entry in `spec.selector.matchLabels` equals
  `spec.clusterName` ("cannot specify a cluster selector other than the one specified by
  ClusterName");
* `spec.checks.nodeStartupTimeoutSeconds` is 0 (disabled) or at least 30 ("must be at least 30s");
* `spec.remediation.triggerIf.unhealthyLessThanOrEqualTo` is an int or a percentage ("must be
  either an int or a percentage"; the CRD only says int-or-string).

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/machinehealthcheck.go (`validate`,
    `validateCommonFields`, `validateMachineHealthCheckUnhealthyLessThanOrEqualTo`).

Failing example::

    apiVersion: cluster.x-k8s.io/v1beta2
    kind: MachineHealthCheck
    spec:
      clusterName: pve-demo
      selector: {}
      checks: {nodeStartupTimeoutSeconds: 10}

Passing example::

    apiVersion: cluster.x-k8s.io/v1beta2
    kind: MachineHealthCheck
    spec:
      clusterName: pve-demo
      selector: {matchLabels: {cluster.x-k8s.io/deployment-name: pve-demo-md-0}}
      checks: {nodeStartupTimeoutSeconds: 600}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.labels import CLUSTER_NAME_LABEL, selector_errors, selector_is_empty
from fleetgen.policy.objects import get, objects_of_kind
from fleetgen.policy.rules.md_webhook import int_or_percent_problem

CAPI_GROUP = "cluster.x-k8s.io"
MIN_NODE_STARTUP_TIMEOUT_S = 30
_UNHEALTHY_LIMIT = "/spec/remediation/triggerIf/unhealthyLessThanOrEqualTo"


class MhcWebhookRule:
    """Rendered MachineHealthChecks pass the MachineHealthCheck webhook."""

    id = "mhc-webhook"
    severity = Severity.ERROR
    summary = "rendered MachineHealthChecks must pass the MachineHealthCheck admission webhook (selector, clusterName, startup timeout, unhealthy limit)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per webhook rule a rendered MachineHealthCheck breaks."""
        for file, obj in objects_of_kind(ctx.rendered, "MachineHealthCheck", group=CAPI_GROUP):
            m = obj.manifest
            selector = get(m, "/spec/selector")
            errors = selector_errors(selector)
            if errors:
                yield object_finding(self, ctx, file, obj, "/spec/selector", "; ".join(errors))
            elif selector_is_empty(selector):
                yield object_finding(self, ctx, file, obj, "/spec/selector", "selector must not be empty")
            cluster_name = get(m, "/spec/clusterName")
            selected = get(selector, "/matchLabels/" + CLUSTER_NAME_LABEL.replace("/", "~1")) if isinstance(selector, dict) else None
            if selected is not None and selected != cluster_name:
                yield object_finding(self, ctx, file, obj, "/spec/selector",
                                     "cannot specify a cluster selector other than the one specified by ClusterName "
                                     f"(selects {selected!r}, clusterName is {cluster_name!r})")
            limit = get(m, _UNHEALTHY_LIMIT)
            problem = int_or_percent_problem(limit) if limit is not None else None
            if problem:
                yield object_finding(self, ctx, file, obj, _UNHEALTHY_LIMIT, problem)
            timeout = get(m, "/spec/checks/nodeStartupTimeoutSeconds")
            if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout != 0 and timeout < MIN_NODE_STARTUP_TIMEOUT_S:
                yield object_finding(self, ctx, file, obj, "/spec/checks/nodeStartupTimeoutSeconds",
                                     f"must be at least 30s (or 0 to disable), got {timeout}")


RULE = MhcWebhookRule()
