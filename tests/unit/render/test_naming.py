"""Content-hash names and deterministic shortening (fleetgen.render.naming)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from fleetgen.render import naming

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def test_spec_hash_key_order_ignored_same_hash() -> None:
    a = {"numCores": 2, "memoryMiB": 4096, "network": {"b": 1, "a": [1, 2]}}
    b = {"network": {"a": [1, 2], "b": 1}, "memoryMiB": 4096, "numCores": 2}
    assert naming.spec_hash(a) == naming.spec_hash(b)


def test_spec_hash_value_change_new_hash() -> None:
    assert naming.spec_hash({"numCores": 2}) != naming.spec_hash({"numCores": 3})
    assert naming.spec_hash({"a": [1, 2]}) != naming.spec_hash({"a": [2, 1]})


def test_spec_hash_documented_canonical_json_first_8_hex() -> None:
    value = {"z": "ü", "a": {"y": True, "x": 1}}
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    assert naming.canonical_json(value) == canonical == b'{"a":{"x":1,"y":true},"z":"\\u00fc"}'
    assert naming.spec_hash(value) == hashlib.sha256(canonical).hexdigest()[:8]


def test_template_name_short_names_cluster_stem_hash() -> None:
    spec = {"numCores": 2}
    assert naming.template_name("kv-demo", "md-0", spec) == f"kv-demo-md-0-{naming.spec_hash(spec)}"
    assert naming.template_name("kv-demo", "control-plane", spec) == f"kv-demo-control-plane-{naming.spec_hash(spec)}"


def test_object_name_without_stem_or_suffix_is_cluster_name() -> None:
    assert naming.object_name("kv-demo") == "kv-demo"
    assert naming.object_name("kv-demo", "md-0") == "kv-demo-md-0"


def test_fit_name_fits_unchanged() -> None:
    base = "c" * 54
    assert naming.fit_name(base, "0123abcd") == base + "-0123abcd"  # exactly 63
    assert naming.fit_name("x" * 63) == "x" * 63


@pytest.mark.parametrize(("cluster", "pool"), [
    ("c" * 63, "p" * 63),
    ("a" * 40, "pool-" + "b" * 30),
    ("long-cluster-name-for-the-production-environment", "workers-general-purpose"),
], ids=["both-max", "long-pool", "realistic"])
def test_fit_name_too_long_cut_to_63_keeps_content_hash(cluster: str, pool: str) -> None:
    content = naming.spec_hash({"numCores": 2})
    name = naming.object_name(cluster, pool, suffix=content)
    assert len(name) == 63
    assert DNS_LABEL.match(name)
    assert name.endswith("-" + content)
    full_base = f"{cluster}-{pool}"
    assert name.split("-")[-2] == hashlib.sha256(full_base.encode()).hexdigest()[:8]
    assert name.startswith(full_base[:20])


def test_fit_name_same_prefix_long_bases_stay_distinct() -> None:
    a = naming.object_name("c" * 60, "pool-a")
    b = naming.object_name("c" * 60, "pool-b")
    assert a != b
    assert len(a) == len(b) == 63


def test_fit_name_cut_ending_in_dash_strips_it() -> None:
    base = "a" * 44 + "-" + "b" * 30  # the cut (45 characters) ends with the dash
    name = naming.fit_name(base, "0123abcd")
    assert name == "a" * 44 + "-" + name.split("-")[-2] + "-0123abcd"
    assert "--" not in name
    assert DNS_LABEL.match(name)


def test_fit_name_is_deterministic() -> None:
    base = "x" * 80
    assert naming.fit_name(base, "h") == naming.fit_name(base, "h")


def test_fit_name_no_room_for_base_raises() -> None:
    with pytest.raises(ValueError, match="cannot fit"):
        naming.fit_name("x" * 30, "y" * 60)
