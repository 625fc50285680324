"""no-inline-credentials."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from fleetgen.policy import PolicyContext, run_rules
from fleetgen.policy.rules.no_inline_credentials import scan_data
from fleetgen.render.base import RenderResult
from fleetgen.spec.load import load_fleet

from .cases import context_from_yaml, kubevirt_cluster, write_fleet

ADDON = ("apiVersion: fleetgen.dev/v1alpha1\nkind: Addon\nmetadata: {name: extras}\n"
         "spec:\n  clusterSelector: {matchLabels: {env: demo}}\n  resources: [payload.yaml]\n")
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----\n"


def _fleet_with_payload(tmp_path: Path, payload: str) -> PolicyContext:
    root = write_fleet(tmp_path, clusters={"kv-a.yaml": kubevirt_cluster(labels={"env": "demo"})},
                       addons={"extras": {"addon.yaml": ADDON, "payload.yaml": payload}})
    fleet, problems = load_fleet(root)
    assert problems == []
    return PolicyContext(fleet, RenderResult(()))


def test_no_inline_credentials_env_token_in_addon_payload_points_at_payload_file(tmp_path: Path) -> None:
    payload = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: apps/v1\nkind: Deployment\n"
               "metadata: {name: ccm}\nspec:\n  template:\n    spec:\n      containers:\n        - name: ccm\n"
               "          env:\n            - name: PROXMOX_TOKEN\n              value: hunter2\n")
    [finding] = run_rules(_fleet_with_payload(tmp_path, payload), ["no-inline-credentials"])
    assert str(finding.position) == "crs/extras/payload.yaml:15:15"
    assert finding.message.startswith("spec.template.spec.containers[0].env[0].value: looks like an inline credential "
                                      "(the value of 'PROXMOX_TOKEN')")
    assert "hunter2" not in finding.message


def test_no_inline_credentials_secret_values_are_left_to_payload_validation(tmp_path: Path) -> None:
    payload = "apiVersion: v1\nkind: Secret\nmetadata: {name: pve, annotations: {note: x}}\nstringData:\n  token: hunter2\n"
    assert run_rules(_fleet_with_payload(tmp_path, payload), ["no-inline-credentials"]) == []


def test_no_inline_credentials_private_key_in_configmap_fails_but_certificate_passes(tmp_path: Path) -> None:
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    payload = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tls}\ndata:\n"
               f"  ca.crt: {cert!r}\n  tls.key: {PEM!r}\n")
    [finding] = run_rules(_fleet_with_payload(tmp_path, payload), ["no-inline-credentials"])
    assert finding.pointer == "/data/tls.key" and "a PEM private-key block" in finding.message


def test_no_inline_credentials_base64_private_key_fails_but_base64_certificate_passes(tmp_path: Path) -> None:
    """A kubeconfig's client-key-data and a ConfigMap's binaryData hold PEM keys base64-encoded."""
    key = base64.b64encode(PEM.encode()).decode()
    cert = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()
    kubeconfig = ("apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n"
                  f"    client-certificate-data: {cert}\n    client-key-data: {key}\n")
    payload = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: access}\ndata:\n  kubeconfig: |\n"
               + "".join(f"    {line}\n" for line in kubeconfig.splitlines())
               + f"binaryData:\n  ca.crt: {cert}\n  tls.key: {key}\n")
    findings = run_rules(_fleet_with_payload(tmp_path, payload), ["no-inline-credentials"])
    assert [(f.pointer, "a base64-encoded PEM private-key block" in f.message) for f in findings] == [
        ("/data/kubeconfig", True), ("/binaryData/tls.key", True)]
    assert key not in " ".join(f.message for f in findings)


@pytest.mark.parametrize("prefix", ["", "\n", "\n\n", "Bag Attributes\n    localKeyID: 01 \n"])
def test_no_inline_credentials_base64_private_key_found_at_any_byte_alignment(tmp_path: Path, prefix: str) -> None:
    """`-----BEGIN` after 0, 1 or 2 bytes of a 3-byte group (a leading newline, `openssl pkcs12 -nodes`
    output), also wrapped at 64 characters; the same text without the key passes."""
    wrapped = base64.encodebytes((prefix + PEM).encode()).decode()
    payload = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: access}\n"
               f"binaryData:\n  tls.key: {base64.b64encode((prefix + PEM).encode()).decode()}\n"
               "data:\n  key.b64: |\n" + "".join(f"    {line}\n" for line in wrapped.splitlines()))
    findings = run_rules(_fleet_with_payload(tmp_path, payload), ["no-inline-credentials"])
    assert [(f.pointer, "a base64-encoded PEM private-key block" in f.message) for f in findings] == [
        ("/binaryData/tls.key", True), ("/data/key.b64", True)]
    harmless = base64.b64encode((prefix + "-----BEGIN CERTIFICATE-----\nMIIB\n").encode()).decode()
    ok = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ca}}\nbinaryData:\n  ca.crt: {harmless}\n"
    assert run_rules(_fleet_with_payload(tmp_path / "ok", ok), ["no-inline-credentials"]) == []


def test_no_inline_credentials_base64_private_key_in_unparseable_payload_points_at_its_line(tmp_path: Path) -> None:
    key = base64.b64encode(("\n" + PEM).encode()).decode()
    [finding] = run_rules(_fleet_with_payload(tmp_path, f"key: [unclosed\nblob: {key}\n"), ["no-inline-credentials"])
    assert str(finding.position) == "crs/extras/payload.yaml:2:7"
    assert "a base64-encoded PEM private-key block" in finding.message and key not in finding.message


def _wrap(text: str, width: int) -> list[str]:
    encoded = base64.b64encode(text.encode()).decode()
    return [encoded[i:i + width] for i in range(0, len(encoded), width)]


def test_no_inline_credentials_unpadded_base64_key_before_another_line_is_found() -> None:
    """A key whose PEM is a multiple of 3 bytes has no `=` padding: the next line's word must not
    hide it (regression: `\nDEBUG` was taken into the run, which then did not decode)."""
    pem = PEM + "x" * (-len(PEM) % 3)
    assert "=" not in base64.b64encode(pem.encode()).decode()
    for after in ("DEBUG=1", "DEBUG2=1", "A"):
        value = f"TLS_KEY_B64={base64.b64encode(pem.encode()).decode()}\n{after}\n"
        assert [pointer for pointer, *_ in scan_data({"data": {"app.env": value}})] == ["/data/app.env"], after


@pytest.mark.parametrize("width", [64, 76])
def test_no_inline_credentials_wrapped_base64_key_found_wherever_the_lines_break(width: int) -> None:
    """After 0 to 95 bytes of other text, wrapped at `width` columns: the line breaks may fall inside
    the base64 of `-----BEGIN` (regression: 1 in 7 layouts was missed); certificates still pass."""
    missed = [pre for pre in range(96)
              if not list(scan_data({"data": {"k": "\n".join(_wrap("#" * pre + "\n" + PEM, width))}}))]
    assert missed == []
    cert = "-----BEGIN CERTIFICATE-----\nMIIBMIIBMIIBMIIBMIIB\n-----END CERTIFICATE-----\n"
    assert [pre for pre in range(96)
            if list(scan_data({"data": {"k": "\n".join(_wrap("#" * pre + "\n" + cert, width))}}))] == []


def test_no_inline_credentials_wrapped_base64_key_in_text_points_at_its_first_group(tmp_path: Path) -> None:
    """In a payload that is not YAML, each key is reported at the line holding its first dashes,
    however the marker is split (here 31 bytes in, so its base64 starts 40 characters in and ends
    on the second line at width 48)."""
    lines = _wrap("#" * 30 + "\n" + PEM, 48)
    payload = "key: [unclosed\n" + "\n".join(lines) + "\n"
    [finding] = run_rules(_fleet_with_payload(tmp_path, payload), ["no-inline-credentials"])
    assert str(finding.position) == "crs/extras/payload.yaml:2:41"
    assert "a base64-encoded PEM private-key block" in finding.message


def test_no_inline_credentials_non_yaml_payload_is_scanned_as_text(tmp_path: Path) -> None:
    payload = "key: [unclosed\n" + PEM
    [finding] = run_rules(_fleet_with_payload(tmp_path, payload), ["no-inline-credentials"])
    assert str(finding.position) == "crs/extras/payload.yaml:2:1"


@pytest.mark.parametrize(("data", "hits"), [
    ({"env": [{"name": "PROXMOX_SECRET", "value": "s3cr3t"}]}, ["/env/0/value"]),
    ({"env": [{"name": "PROXMOX_SECRET", "value": "${PROXMOX_SECRET}"}]}, []),
    ({"adminPassword": "x9"}, ["/adminPassword"]),
    ({"password": "", "token": "{{ .Values.token }}", "secretName": "pve", "tokenTTL": "24h"}, []),
    ({"metadata": {"labels": {"vault.io/secret": "enabled"}}}, []),
    ({"url": "https://user:pa55@example.com/x"}, ["/url"]),
    ({"url": "ssh://git@example.com/x"}, []),
    ({"url": "redis://:S3cr3tPw@redis:6379/0", "proxy": "http://proxy:3128/"}, ["/url"]),
    ({"DB_PASS": "Xy7-pq", "smtp-pwd": "Xy7-pq", "bypass": "Xy7-pq", "OLDPWD": "/home/app/src", "compass": "N9"},
     ["/DB_PASS", "/smtp-pwd"]),
    ({"args": ["--token=ghp_" + "a" * 36]}, ["/args/0"]),
    ({"automountServiceAccountToken": True}, []),
    ({"metadata": {"labels": {"token": "ghp_" + "a" * 36, "team": "a"}}}, ["/metadata/labels/token"]),
    ({"workers": [{"labels": {"aws/key": "AKIAIOSFODNN7EXAMPLE"}}]}, ["/workers/0/labels/aws~1key"]),
    # values that cannot be credentials (false positives on real addons: ESO, Traefik, Vault, ConfigMaps)
    ({"spec": {"data": [{"secretKey": "password", "remoteRef": {"key": "prod/db", "property": "password"}}]}}, []),
    ({"spec": {"basicAuth": {"secret": "dashboard-users"}}}, []),
    ({"metadata": {"annotations": {"vault.hashicorp.com/agent-inject-token": "true"}}}, []),
    ({"data": {"enableServiceAccountToken": "true", "tokenFile": "/var/run/secrets/tokens/vault",
               "maxTokens": "10", "vaultToken": "/var/run/secrets/vault/token", "ttlToken": "3600"}}, []),
    ({"spec": {"encryptedData": {"password": "AgBy3i4OJSWK+PiTySYZZA1rO43cGDEq"}}}, []),
    ({"stringData": {"password": "ENC[AES256_GCM,data:Tr3nZA==,iv:1Fh2,tag:x5==,type:str]"}}, []),
    # ... while anything with digits, capitals or symbols still is one
    ({"password": "Hunter2", "apiToken": "CorrectHorseBatteryStaple", "secret": "s3cr3t-pw",
      "adminPassword": "p@ss", "token": "/9j/4AAQSkZJRgABAQ=="}, ["/password", "/apiToken", "/secret", "/adminPassword", "/token"]),
    ({"metadata": {"annotations": {"example.com/token": "glpat-" + "x" * 20}}}, ["/metadata/annotations/example.com~1token"]),
    # lowercase words are names only under a field naming a Secret (not passwords, not env values)
    ({"password": "changeme", "adminPassword": "prom-operator", "PROXMOX_SECRET": "supersecret",
      "env": [{"name": "DB_PASSWORD", "value": "correct-horse-battery-staple"}]},
     ["/password", "/adminPassword", "/PROXMOX_SECRET", "/env/0/value"]),
    # annotation values under credential-like keys, long numeric PINs, unpadded base64 starting with /
    ({"metadata": {"annotations": {"example.com/api-token": "5f1c2a9e-3b7d-4c1e-9a2b-7d3e5f1c2a9e",
                                   "example.com/password": "Hunter2!"}},
      "env": [{"name": "REDIS_PASSWORD", "value": "12345678"}, {"name": "API_TOKEN", "value": "/Xy9aB3kLmNoPqRsTuVwXyZaBcDeFgHi"}]},
     ["/metadata/annotations/example.com~1api-token", "/metadata/annotations/example.com~1password",
      "/env/0/value", "/env/1/value"]),
    # settings inside embedded config files, scripts and flags
    ({"data": {"app.ini": "[db]\nhost = db\npassword = Hunter2\n", "app.env": "LOG=debug\nexport API_TOKEN=9f8e7d6c5b4a\n",
               "config.json": '{\n  "user": "app",\n  "clientSecret": "Xy7pQ2zR",\n}\n'},
      "args": ["--db-password=Hunter2", "--log-level=debug"],
      "command": ["sh", "-c", "set -e\nREDIS_PASSWORD='s3cr3t pw'\nexec redis\n"]},
     ["/data/app.ini", "/data/app.env", "/data/config.json", "/args/0", "/command/2"]),
    # ... but not placeholders, references, comments, prose or keys that are not credentials
    ({"data": {"app.ini": "# password = Hunter2\npassword = ${DB_PASSWORD}\npassword_file = /run/secrets/db\n",
               "run.sh": 'TOKEN="$1"\nPASSWORD=$DB_PASSWORD\nsecret = %(secret)s\nuse_token = true\n',
               "notes": "Pass: skips the remaining rules\nToken: the bearer token sent\n"},
      "args": ["--token-ttl=24h", "--secret-name=pve", "run --token=${TOKEN} --password=$(cat /run/pw)"]}, []),
    # references to secrets in real config formats (Grafana, Argo CD, code, Keycloak masks, Jasypt, URL placeholders)
    ({"data": {"grafana.ini": "[security]\nadmin_password = $__file{/etc/secrets/admin_password}\nclient_secret = $__env{X}\n",
               "oidc.config": "clientID: argocd\nclientSecret: $oidc.keycloak.clientSecret\n",
               "dex.config": "connectors:\n- config:\n    clientSecret: $argocd-dex-github:clientSecret\n",
               "app.py": 'import os\npassword = os.environ["DB_PASSWORD"]\ntoken = os.getenv("TOKEN")\n',
               "main.tf": "resource x {\n  password = var.db_password\n}\n",
               "realm.json": '{\n  "secret": "**********",\n  "x": 1\n}\n',
               "application.properties": "spring.datasource.password=ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)\n",
               "a.env": "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n"},
      "password": "********", "env": [{"name": "DATABASE_URL", "value": "postgres://app:${DB_PASSWORD}@db/app"}]}, []),
    # ... but values behind a trailing comment, flags mid-line, an .npmrc auth token are credentials
    ({"data": {"app.ini": "[db]\npassword = Sup3rS3cretValue   # prod DB\n",
               "c.toml": 'api_token = "tk_9f8e7d6c5b4a3921" # rotate yearly\nx = 1\n',
               ".npmrc": "registry=https://npm.example.com/\n//npm.example.com/:_authToken=9f8e7d6c5b4a3921aa\n"},
      "args": ["exec /app/seed --host=db --db-password=Hunter2Hunter2\n"],
      "env": [{"name": "ARGS", "value": "--log-level=info --api-token=9f8e7d6c5b4a3921aa"}]},
     ["/data/app.ini", "/data/c.toml", "/data/.npmrc", "/args/0", "/env/0/value"]),
], ids=["env-pair", "env-placeholder", "suffix-key", "empty-placeholder-reference", "label-key",
        "url-password", "url-user-only", "url-password-without-user", "short-suffixes", "github-token-in-list", "bool-value", "token-as-label-value",
        "aws-key-as-pool-label-value", "external-secret-key-names", "traefik-secret-name", "vault-annotation-flag",
        "booleans-paths-numbers-names", "sealed-secret-ciphertext", "sops-ciphertext", "real-looking-values",
        "token-format-in-annotation", "lowercase-passwords", "annotation-pin-and-base64-values",
        "embedded-settings", "embedded-non-credentials", "embedded-references", "embedded-comments-flags-npmrc"])
def test_no_inline_credentials_scan_data(data: dict, hits: list[str]) -> None:
    assert [pointer for pointer, *_ in scan_data(data)] == hits


def test_no_inline_credentials_password_in_an_embedded_config_file_points_at_its_line(tmp_path: Path) -> None:
    """Regression: a `password = ...` line inside a ConfigMap's embedded file went unreported."""
    payload = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata:\n"
               "  app.ini: |\n    [db]\n    user = app\n    password = Hunter2\n"
               '  quoted.json: "{\\n  \\"token\\": \\"9f8e7d6c5b4a\\"\\n}"\n')
    found = run_rules(_fleet_with_payload(tmp_path, payload), ["no-inline-credentials"])
    assert [(str(f.position), f.pointer) for f in found] == [("crs/extras/payload.yaml:8:5", "/data/app.ini"),
                                                             ("crs/extras/payload.yaml:9:3", "/data/quoted.json")]
    assert "'password' set in line 3 of the value" in found[0].message
    assert "Hunter2" not in found[0].message and "9f8e7d6c5b4a" not in found[1].message


def test_no_inline_credentials_token_in_a_cluster_label_points_at_the_label(tmp_path: Path) -> None:
    """Regression: label values were never scanned, so a token in a label reached fleet/ unreported."""
    token = "ghp_" + "Ab3" * 12
    root = write_fleet(tmp_path, clusters={"kv-a.yaml": kubevirt_cluster(labels={"env": "demo", "ci-token": token})})
    fleet, problems = load_fleet(root)
    assert problems == []
    [finding] = run_rules(PolicyContext(fleet, RenderResult(())), ["no-inline-credentials"])
    assert finding.pointer == "/metadata/labels/ci-token" and "(a GitHub token)" in finding.message
    assert finding.position.file == "clusters/kv-a.yaml" and finding.position.line > 0
    assert token not in finding.message


def test_no_inline_credentials_real_cni_manifests_pass(upstream: Path) -> None:
    from fleetgen.yamlio import load_yaml

    for path in ("projectcalico/calico/v3.31.7/manifests/calico.yaml",
                 "kubernetes-sigs/cluster-api/v1.12.11/test/e2e/data/cni/kindnet/kindnet.yaml"):
        docs = load_yaml((upstream / path).read_bytes(), path, allow_empty=True)
        assert [p for doc in docs for p, *_ in scan_data(doc.data)] == [], path


def test_no_inline_credentials_same_default_reported_once() -> None:
    config = ("apiVersion: fleetgen.dev/v1alpha1\nkind: FleetConfig\n"
              "gitops: {repo: 'https://bot:tok3n@git.example.com/f.git'}\n---\n")
    ctx = context_from_yaml(config + kubevirt_cluster("kv-a") + kubevirt_cluster("kv-b"))
    [finding] = run_rules(ctx, ["no-inline-credentials"])
    assert finding.pointer == "/gitops/repo"
