"""Finding builders: message shape and positions."""

from __future__ import annotations

from fleetgen.findings import Severity
from fleetgen.policy import RULE_BY_ID
from fleetgen.policy.emit import object_finding, spec_finding
from fleetgen.sourcemap import SourceMap

from .cases import context_from_yaml


def test_spec_finding_prefixes_field_path_and_falls_back_to_ancestor() -> None:
    source = SourceMap("clusters/a.yaml")
    source.add_mark("/spec", 4, 0)
    finding = spec_finding(RULE_BY_ID["cp-replicas-odd"], source, "/spec/controlPlane/replicas", "must be odd, got 2")
    assert finding.message == "spec.controlPlane.replicas: must be odd, got 2"
    assert str(finding.position) == "clusters/a.yaml:5:1"
    assert finding.severity is Severity.ERROR and finding.pointer == "/spec/controlPlane/replicas"


def test_object_finding_names_object_and_sets_rendered_position() -> None:
    ctx = context_from_yaml("""\
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: x}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  namespace: x
data:
  k: v
""", path="case.yaml")
    file, obj = ctx.rendered.objects()[1]
    finding = object_finding(RULE_BY_ID["label-values"], ctx, file, obj, "/data/k", "is wrong",
                             severity=Severity.WARNING)
    assert finding.message == "data.k of ConfigMap x/b: is wrong"
    assert str(finding.position) == "case.yaml:11:3"
    assert finding.rendered is not None and finding.rendered.file == "fleet/case.yaml"
    assert finding.rendered.line > 0 and finding.severity is Severity.WARNING
    assert finding.object is not None and finding.object.kind == "ConfigMap"
