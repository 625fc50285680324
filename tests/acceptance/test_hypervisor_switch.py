"""A running cluster moved to another hypervisor under the same name is refused against the base.

No webhook refuses the new `Cluster.spec.infrastructureRef` kind, and nothing migrates the cluster:
`validate --base` must fail at the spec's `hypervisor:` line, and `plan` must show the Cluster's
change as forbidden, in a real git repository whose base commit holds the rendered output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

KV_SPEC = "clusters/kubevirt/kv-demo.yaml"
PROXMOX_BLOCK = """\
  proxmox:
    sourceNode: pve1
    templateID: 100
    controlPlaneEndpoint: {host: 10.10.10.29, port: 6443}
    ipv4:
      addresses: [10.10.10.30-10.10.10.40]
      prefix: 24
      gateway: 10.10.10.1
    dnsServers: [10.10.10.1]
    bridge: vmbr0
    allowedNodes: [pve1]
"""


def move_to_proxmox(root: Path) -> int:
    """Switch kv-demo to Proxmox in its spec; return the 1-based line of `hypervisor:`."""
    spec = root / KV_SPEC
    text = spec.read_text()
    text = text.replace("  hypervisor: kubevirt\n", "  hypervisor: proxmox\n")
    text = text[: text.index("  kubevirt:\n")] + PROXMOX_BLOCK
    spec.write_text(text)
    return text.splitlines().index("  hypervisor: proxmox") + 1


def test_validate_base_refuses_a_hypervisor_switch_at_the_hypervisor_line(rendered_repo: Path, cli: Cli) -> None:
    line = move_to_proxmox(rendered_repo)
    result = cli("--repo", str(rendered_repo), "validate", "--base", "HEAD", "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    # one finding: the hypervisor's default serviceDomain changes too, but that is part of the refused switch
    assert [(f["rule_id"], f["severity"], f["file"], f["line"]) for f in findings] == [
        ("infrastructure-provider-change", "error", KV_SPEC, line)]
    assert "KubevirtCluster to ProxmoxCluster" in findings[0]["message"]


def test_the_same_spec_as_a_new_cluster_is_accepted(rendered_repo: Path, cli: Cli) -> None:
    # without a base (a new cluster), a Proxmox kv-demo is fine
    move_to_proxmox(rendered_repo)
    result = cli("--repo", str(rendered_repo), "validate", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [f["rule_id"] for f in json.loads(result.stdout)["findings"]] == []


def test_plan_shows_the_cluster_change_as_forbidden(rendered_repo: Path, cli: Cli) -> None:
    move_to_proxmox(rendered_repo)
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    result = cli("--repo", str(rendered_repo), "plan")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "kv-demo (namespace clusters): forbidden" in result.stdout
    assert "FORBIDDEN [infrastructure-provider-change]" in result.stdout
    # the rollouts name the templates, though the refs' kind changed first
    assert re.search(r"rollout kv-demo/md-0: 3 machines replaced \(.*machine template kv-demo-md-0-[0-9a-f]{8} → "
                     r"kv-demo-md-0-[0-9a-f]{8}\)", result.stdout), result.stdout
    assert "(changed)" not in result.stdout
    # the infrastructure cluster is replaced, not updated in place
    assert ("replace the infrastructure of kv-demo: KubevirtCluster kv-demo deleted, ProxmoxCluster kv-demo created"
            in result.stdout), result.stdout
    assert "no machines replaced" not in result.stdout
