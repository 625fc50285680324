"""immutable-template: machine templates cannot be changed in place.

Compares each rendered machine template with the object of the same apiVersion, kind, namespace
and name in the base revision (`validate --base REF`, `plan`):

* KubevirtMachineTemplate and ProxmoxMachineTemplate reject any `spec` change
  ("KubevirtMachineTemplateSpec is immutable", "ProxmoxMachineTemplate is immutable"), so the
  GitOps sync of such a commit fails — an error. The way to change machines is a template under a
  new name that the MachineDeployment or KubeadmControlPlane then points to; fleetgen's
  content-hash template names do exactly that, so this fires only for names that do not follow
  the content hash.
* KubeadmConfigTemplate accepts the update, but existing Machines never see it: only Machines
  created afterwards get the new bootstrap config — a warning.

Skipped when there is no base revision.

Severity: error (warning for KubeadmConfigTemplate).

Source:
    kubernetes-sigs/cluster-api-provider-kubevirt v0.11.2, pkg/webhookhandler/validator.go;
    ionos-cloud/cluster-api-provider-proxmox v0.9.0, internal/webhook/proxmoxmachinetemplate_webhook.go;
    kubernetes-sigs/cluster-api v1.12.11, docs/book/src/tasks/updating-machine-templates.md
    ("changes to those templates do not trigger rollouts of already existing Machines").

Failing example (same name in base and working tree)::

    kind: ProxmoxMachineTemplate
    metadata: {name: pve-demo-md-0}
    spec: {template: {spec: {memoryMiB: 8192}}}     # was 4096 in the base revision

Passing example::

    kind: ProxmoxMachineTemplate
    metadata: {name: pve-demo-md-0-5e1f09aa}        # new content-hash name; the old one is left alone
    spec: {template: {spec: {memoryMiB: 8192}}}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.objects import first_difference, short, transitions

_IMMUTABLE = {
    "KubevirtMachineTemplate": "KubevirtMachineTemplateSpec is immutable (CAPK webhook)",
    "ProxmoxMachineTemplate": "ProxmoxMachineTemplate is immutable (CAPMOX webhook)",
}


class ImmutableTemplateRule:
    """Machine templates with an unchanged name keep an unchanged spec."""

    id = "immutable-template"
    severity = Severity.ERROR
    summary = "a machine template must not change under the same name (CAPK/CAPMOX reject it; KubeadmConfigTemplate changes do not roll out)"
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per template whose spec differs from the base revision's."""
        for t in transitions(ctx, *_IMMUTABLE, "KubeadmConfigTemplate"):
            diff = first_difference(t.old.manifest.get("spec"), t.new.manifest.get("spec"), "/spec")
            if diff is None:
                continue
            pointer, old, new = diff
            kind = t.new.ref.kind
            changed = f"changed from {short(old)} to {short(new)}"
            if kind in _IMMUTABLE:
                yield object_finding(self, ctx, t.file, t.new, pointer, f"{changed}, but {_IMMUTABLE[kind]}",
                                     hint="render the changed template under a new name and point the MachineDeployment or "
                                          "KubeadmControlPlane to it (fleetgen's content-hash names do this)")
            else:
                yield object_finding(self, ctx, t.file, t.new, pointer,
                                     f"{changed} in place; existing Machines keep the old bootstrap config, "
                                     "only Machines created later get it",
                                     severity=Severity.WARNING,
                                     hint="render it under a new name and repoint the MachineDeployment to roll the change out")


RULE = ImmutableTemplateRule()
