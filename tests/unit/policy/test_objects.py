"""Rendered-object helpers: pointers, diffs, identities, transitions."""

from __future__ import annotations

from fleetgen.policy.objects import (
    cluster_name_of,
    first_difference,
    get,
    group_of,
    iter_label_maps,
    merge_patch_paths,
    short,
    transitions,
)

from .cases import context_from_yaml


def test_get_resolves_pointers_with_escapes_and_lists() -> None:
    data = {"metadata": {"labels": {"a/b": "x"}}, "spec": {"items": [{"n": 1}]}}
    assert get(data, "/metadata/labels/a~1b") == "x"
    assert get(data, "/spec/items/0/n") == 1
    assert get(data, "/spec/items/3/n", "missing") == "missing"
    assert get(data, "") is data


def test_merge_patch_paths_like_kcp_webhook() -> None:
    old = {"spec": {"a": 1, "list": [1, 2], "gone": "x", "same": {"k": 1}}}
    new = {"spec": {"a": 2, "list": [1, 3], "same": {"k": 1}, "added": {"x": {"y": 1}, "z": 2}, "empty": {}}}
    assert merge_patch_paths(old, new) == [
        ("spec", "a"), ("spec", "added", "x", "y"), ("spec", "added", "z"), ("spec", "gone"), ("spec", "list")]


def test_first_difference_descends_into_equal_length_lists() -> None:
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == ("/a/1/b", 2, 3)
    assert first_difference({"a": [1]}, {"a": [1, 2]}) == ("/a", [1], [1, 2])
    assert first_difference({"a": 1}, {"b": 1}) == ("/a", 1, None)
    assert first_difference({"a": 1}, {"a": 1}) is None


def test_group_of_and_short() -> None:
    assert group_of("cluster.x-k8s.io/v1beta2") == "cluster.x-k8s.io"
    assert group_of("v1") == ""
    assert short(None) == "(unset)" and short({"a": 1}) == "a map of 1 keys" and short("x" * 100).endswith("...")


def test_iter_label_maps_finds_metadata_and_selector_labels() -> None:
    manifest = {"metadata": {"labels": {"a": "1"}},
                "spec": {"selector": {"matchLabels": {"b": "2"}}, "template": {"metadata": {"labels": {"c": "3"}}}}}
    assert [p for p, _ in iter_label_maps(manifest)] == [
        "/metadata/labels", "/spec/selector/matchLabels", "/spec/template/metadata/labels"]


def test_cluster_name_of_prefers_label_then_cluster_name() -> None:
    ctx = context_from_yaml("""\
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineDeployment
metadata: {name: md, labels: {cluster.x-k8s.io/cluster-name: from-label}}
spec: {clusterName: from-spec}
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineHealthCheck
metadata: {name: mhc}
spec: {clusterName: from-spec}
""")
    assert [cluster_name_of(o) for _, o in ctx.rendered.objects()] == ["from-label", "from-spec"]


def test_transitions_match_changed_objects_by_identity_and_need_base() -> None:
    head = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {k: new}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same, namespace: x}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: added, namespace: x}\n")
    base = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {k: old}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same, namespace: x}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: y}\n")
    assert list(transitions(context_from_yaml(head), "ConfigMap")) == []
    pairs = list(transitions(context_from_yaml(head, base=base), "ConfigMap"))
    assert [(t.old.ref.namespace, t.new.ref.name, t.old.manifest["data"]["k"]) for t in pairs] == [("x", "a", "old")]


def test_objects_of_kind_filters_group_and_keeps_kind_order() -> None:
    from fleetgen.policy.objects import objects_of_kind

    ctx = context_from_yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n---\n"
                            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
                            "apiVersion: example.com/v1\nkind: ConfigMap\nmetadata: {name: e}\n")
    assert [o.ref.name for _, o in objects_of_kind(ctx.rendered, "ConfigMap", "Secret", group="")] == ["c", "s"]
    assert [o.ref.name for _, o in objects_of_kind(ctx.rendered, "ConfigMap")] == ["c", "e"]


def test_object_index_is_dropped_with_its_render_result() -> None:
    import gc

    from fleetgen.policy import objects

    ctx = context_from_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    objects.objects_of_kind(ctx.rendered, "ConfigMap")
    key = id(ctx.rendered)
    assert key in objects._INDEXES
    del ctx
    gc.collect()
    assert key not in objects._INDEXES
