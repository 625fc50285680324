"""Object-name rules of the Kubernetes API server, for objects fleetgen does not render itself (addon payloads).

Owns: the name validators of apimachinery (`IsDNS1123Label`, `IsDNS1123Subdomain`, `IsDNS1035Label`,
`path.IsValidPathSegmentName`) with the API server's messages, and which one a kind's `metadata.name`
must pass. Must not build findings (callers position them). Label keys and values are
`fleetgen.policy.labels`.

Example:
    >>> object_name_errors("rbac.authorization.k8s.io/v1", "ClusterRole", "system:controller:foo")
    []
    >>> object_name_errors("v1", "ConfigMap", "Bad_Name")[0][:38]
    'a lowercase RFC 1123 subdomain must co'

Source:
    k8s.io/apimachinery pkg/util/validation/validation.go (`IsDNS1123Label`, `IsDNS1123Subdomain`,
    `IsDNS1035Label`); pkg/api/validation/path/name.go (`IsValidPathSegmentName`); pkg/api/validation
    generic.go (`NameIsDNSSubdomain`, `NameIsDNSLabel`, `NameIsDNS1035Label`, `ValidateNamespaceName`).
"""

from __future__ import annotations

import re
from functools import lru_cache

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")

_LABEL_FORMAT = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                 "and must start and end with an alphanumeric character")
_SUBDOMAIN_FORMAT = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                     "and must start and end with an alphanumeric character")
_DNS1035_FORMAT = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                   "alphabetic character, and end with an alphanumeric character")


def dns1123_label_errors(value: str) -> list[str]:
    """The API server's complaints about a DNS-1123 label (Namespace names, metadata.namespace); [] if valid."""
    out = [f"must be no more than {DNS1123_LABEL_MAX} characters"] if len(value) > DNS1123_LABEL_MAX else []
    return out + ([] if _DNS1123_LABEL.fullmatch(value) else [_LABEL_FORMAT])


def dns1123_subdomain_errors(value: str) -> list[str]:
    """The API server's complaints about a DNS-1123 subdomain (most object names); [] if valid."""
    out = [f"must be no more than {DNS1123_SUBDOMAIN_MAX} characters"] if len(value) > DNS1123_SUBDOMAIN_MAX else []
    return out + ([] if _DNS1123_SUBDOMAIN.fullmatch(value) else [_SUBDOMAIN_FORMAT])


def dns1035_label_errors(value: str) -> list[str]:
    """The API server's complaints about a DNS-1035 label (Service names); [] if valid."""
    out = [f"must be no more than {DNS1123_LABEL_MAX} characters"] if len(value) > DNS1123_LABEL_MAX else []
    return out + ([] if _DNS1035_LABEL.fullmatch(value) else [_DNS1035_FORMAT])


def path_segment_errors(value: str) -> list[str]:
    """The API server's complaints about a name used as a URL path segment; [] if valid.

    The only rule every stored object's name passes (the storage key functions check it too): not
    `.` or `..`, no `/` and no `%`. Colons are fine (`system:controller:foo`).
    """
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


#: (API group, kind) -> the validator of its metadata.name, where it is not `dns1123_subdomain_errors`.
#: RBAC names are path segments (`ValidateRBACName`); a CertificateSigningRequest name is anything
#: (`ValidateCertificateRequestName` returns nil); an APIService is `<version>.<group>` checked as a path
#: segment first; a ClusterTrustBundle carries its signer name with colons. Those last three are left at
#: the path-segment minimum, so that no valid name is refused.
_NAME_RULES = {
    ("", "Namespace"): dns1123_label_errors,
    ("", "Service"): dns1035_label_errors,
    **{("rbac.authorization.k8s.io", kind): path_segment_errors
       for kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")},
    ("certificates.k8s.io", "CertificateSigningRequest"): path_segment_errors,
    ("certificates.k8s.io", "ClusterTrustBundle"): path_segment_errors,
    ("apiregistration.k8s.io", "APIService"): path_segment_errors,
}


@lru_cache(maxsize=16384)
def _object_name_errors(group: str, kind: str, name: str) -> tuple[str, ...]:
    rule = _NAME_RULES.get((group, kind), dns1123_subdomain_errors)
    return tuple(rule(name))


def object_name_errors(api_version: str, kind: str, name: str) -> list[str]:
    """The API server's complaints about `metadata.name` of an object of this kind ([] if valid).

    Args:
        api_version: the object's apiVersion (`v1`, `rbac.authorization.k8s.io/v1`).
        kind: its kind.
        name: its metadata.name, a non-empty string.

    Returns:
        Messages as the API server words them. Namespace: DNS-1123 label; Service: DNS-1035 label;
        Role, ClusterRole, RoleBinding, ClusterRoleBinding (and CSR, ClusterTrustBundle, APIService):
        path segment; every other kind, CRD-defined ones included: DNS-1123 subdomain.

    Source:
        kubernetes/kubernetes pkg/apis/core/validation/validation.go (`ValidateNamespaceName`,
        `ValidateServiceName = NameIsDNS1035Label`, `NameIsDNSSubdomain` for the other core kinds);
        pkg/apis/rbac/validation/validation.go (`ValidateRBACName = path.IsValidPathSegmentName`);
        pkg/apis/certificates/validation (`ValidateCertificateRequestName`, `ValidateClusterTrustBundleName`);
        kube-aggregator apiregistration validation (APIService); apiextensions-apiserver customresource
        strategy (`NameIsDNSSubdomain` for custom resources).
    """
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return list(_object_name_errors(group, kind, name))
