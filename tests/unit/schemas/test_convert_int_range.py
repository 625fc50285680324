"""Integer formats become bounds: the API server cannot decode an out-of-range int32/int64."""

from __future__ import annotations

from pathlib import Path

from fleetgen.schemas.registry import SchemaRegistry


def _pmt(memory_mib: int) -> dict:
    return {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha2",
        "kind": "ProxmoxMachineTemplate",
        "metadata": {"name": "x", "namespace": "clusters"},
        "spec": {"template": {"spec": {
            "sourceNode": "pve1", "templateID": 100, "full": True, "numSockets": 1, "numCores": 2,
            "memoryMiB": memory_mib, "network": {"networkDevices": [{"name": "net0", "bridge": "vmbr0", "model": "virtio"}]},
        }}},
    }


def test_int32_field_above_range_rejected_in_range_accepted(schema_dir: Path) -> None:
    registry = SchemaRegistry([schema_dir])
    assert registry.validate(_pmt(4096)) == []
    violations = registry.validate(_pmt(2**31))
    assert [v.pointer for v in violations] == ["/spec/template/spec/memoryMiB"]
