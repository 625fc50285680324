"""crs-webhook."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml

CRS = ("apiVersion: addons.cluster.x-k8s.io/v1beta2\nkind: ClusterResourceSet\n"
       "metadata: {name: calico, namespace: clusters}\n"
       "spec:\n  clusterSelector: {matchLabels: {cni: calico}}\n  resources: RESOURCES\n")


def messages(text: str) -> list[str]:
    return [f.message.split(": ", 1)[1] for f in run_rules(context_from_yaml(text), ["crs-webhook"])]


def test_crs_webhook_missing_resource_is_reported() -> None:
    text = CRS.replace("RESOURCES", "[{kind: ConfigMap, name: nowhere}]")
    assert messages(text) == ["ConfigMap 'nowhere' is not rendered in any namespace; the ClusterResourceSet controller "
                              "cannot apply it and reports it missing (ResourcesApplied false) until it exists"]


def test_crs_webhook_resource_in_another_namespace_names_it() -> None:
    text = (CRS.replace("RESOURCES", "[{kind: ConfigMap, name: calico}]")
            + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: calico, namespace: team2}\ndata: {a: b}\n")
    assert messages(text) == ["ConfigMap 'calico' is not rendered in the ClusterResourceSet's namespace 'clusters'; "
                              "it is rendered in namespace team2, and a ClusterResourceSet only reads resources from "
                              "its own namespace"]


def test_crs_webhook_untyped_secret_defaults_to_opaque() -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: clusters}\nstringData: {a: b}\n---\n"
    assert messages(secret + CRS.replace("RESOURCES", "[{kind: Secret, name: s}]")) == [
        "Secret 's' has type 'Opaque'; a ClusterResourceSet only applies Secrets of type addons.cluster.x-k8s.io/resource-set"]


def test_crs_webhook_unknown_resource_kind() -> None:
    assert messages(CRS.replace("RESOURCES", "[{kind: Deployment, name: x}]")) == ["must be ConfigMap or Secret, got 'Deployment'"]


def test_crs_webhook_configmap_of_another_group_does_not_count() -> None:
    fake = "apiVersion: example.com/v1\nkind: ConfigMap\nmetadata: {name: c, namespace: clusters}\n---\n"
    assert len(messages(fake + CRS.replace("RESOURCES", "[{kind: ConfigMap, name: c}]"))) == 1
