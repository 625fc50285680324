"""no-inline-credentials: no secrets in the fleet repository's specs and addon files.

Everything under fleetgen's repository is committed and shipped to the GitOps agent in plain
text: fleetgen.yaml, the ClusterSpecs, the addon definitions and the manifests addons ship (which
become ClusterResourceSet ConfigMaps readable by anyone who can read the management cluster's
namespace). Fleet has no SOPS decryption, so a committed secret is a leaked secret. Credentials
belong in a Secret created out of band and referenced by name — for Proxmox,
`spec.proxmox.credentialsRef: {name: ..., namespace: ...}`.

What is reported (the value itself is never printed):

* a key that names a credential (`password`, `token`, `secret`, `privateKey`, `apiKey`,
  `clientSecret`, ... also as a suffix: `adminPassword`, `PROXMOX_SECRET`; `pass` and `pwd` after a
  separator: `DB_PASS`, `smtp-pwd`) with a string value,
  and env-style `{name: PROXMOX_TOKEN, value: ...}` pairs, unless the value cannot be a
  credential: empty, a placeholder (`${VAR}`, `{{ .Values.x }}`, `<token>`), a boolean or null
  word (`"true"`, `off`), a number of up to 6 digits, a path (`/var/run/secrets/token`), SOPS or
  Jasypt ciphertext (`ENC[...]`, `ENC(...)`), a mask (`********`), or, under a field that names
  a Secret or a key in one (`secret`, `secretKey`, `existingSecret`; not an UPPER_CASE env
  name), a name: lowercase words joined by
  `-`, `.` or `_` (an ExternalSecret's `secretKey: password`, a Traefik `basicAuth.secret:
  dashboard-users`: references, the pattern this rule asks for); `password: changeme` is still
  reported; values under `encryptedData` (Sealed Secrets ciphertext) are skipped;
* the same inside a string value that embeds a config file or a script (a ConfigMap's `app.ini`,
  a `.env`, a JSON config, an `.npmrc`, an `sh -c` script): a line `key = value`, `KEY=value`,
  `export KEY=value`, `"key": "value"` or, in a multi-line value, `key: value`, and a `key=value`
  word anywhere in a line (`--db-password=...`), with a credential-like key and a value that may be
  a credential (as above, after removing quotes or a trailing `# comment`); references pass:
  variables (`$VAR`, `${VAR}`, Grafana's `$__file{...}`, Argo CD's `$oidc.clientSecret`),
  `%(name)s`, code that reads a value (`os.environ["X"]`, `var.db_password`); an unquoted value
  with a space is prose (a CRD's description); comment lines (`#`, `;`, `// `) are skipped. Such
  a finding points at the line inside a literal block scalar (`|`), else at the value's key;
* a PEM private-key block (`-----BEGIN ... PRIVATE KEY-----`), also base64-encoded (a
  kubeconfig's `client-key-data`, a ConfigMap's `binaryData`); certificates are public and pass;
* a URL with a password (`https://user:pass@host/...`; not a placeholder: `postgres://app:${DB_PASSWORD}@db`);
* well-known token formats (GitHub `ghp_...`, GitLab `glpat-...`, AWS `AKIA...`, Slack
  `xox?-...`, Proxmox `PVEAPIToken=...`, JWTs), label values included (a label key such as
  `vault.io/secret` is not itself a finding).

A `v1 Secret` with `data`/`stringData` in an addon's files is reported once, as a whole, by
`no-inline-secrets` (addon payload validation, `fleetgen.validate.payload`); this rule does not
look inside such Secrets, so one problem is not reported twice.

Severity: error.

Source:
    FIELD.md §1.16; ionos-cloud/cluster-api-provider-proxmox v0.9.0,
    api/v1alpha2/proxmoxcluster_types.go (`credentialsRef`) and
    templates/cluster-template-external-creds.yaml (the `url`/`token`/`secret` keys CAPMOX reads);
    rancher/fleet#144 (no SOPS in Fleet).

Failing example (crs/proxmox-ccm/ccm.yaml, an addon payload)::

    apiVersion: apps/v1
    kind: Deployment
    spec:
      template:
        spec:
          containers:
            - name: proxmox-ccm
              env:
                - {name: PROXMOX_TOKEN_SECRET, value: 5f1c2a9e-...}   # a credential in git

Passing example (clusters/pve-demo.yaml)::

    spec:
      proxmox:
        credentialsRef: {name: pve-credentials, namespace: capmox-system}
"""

from __future__ import annotations

import base64
import binascii
import bisect
import itertools
import posixpath
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from fleetgen.findings import Finding, Position, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.sourcemap import SourceMap, escape_token, pointer_to_path
from fleetgen.yamlio import YamlLoadError, load_yaml

_SECRET_KEY_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "privatekey", "apikey",
                        "accesskey", "secretkey", "clientsecret", "credential", "credentials")
_KEY_SEPARATORS = re.compile(r"[-_. ]")
_PLACEHOLDER = re.compile(r"^\s*(\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|<[^<>]*>)\s*$")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_PRIVATE_KEY, "a PEM private-key block"),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]*:(?!\$|\{\{)[^/\s@]+@[^\s]"), "a URL with a password in it"),
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"), "a GitHub token"),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), "a GitLab token"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"PVEAPIToken=\S+=[0-9a-fA-F-]{36}"), "a Proxmox API token"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), "a JSON Web Token"),
)
#: Mappings whose keys are not field names: label keys like `vault.io/secret` are common, so only
#: their values are matched against the token formats (a `ghp_...` token is a valid label value).
#: Annotations are scanned like fields: `example.com/api-token: <uuid>` is a credential, while the
#: Vault injector's `vault.hashicorp.com/agent-inject-token: "true"` is a boolean (below).
_LABEL_KEYS = frozenset({"labels"})
#: Mappings of ciphertext made to be committed (Bitnami Sealed Secrets `spec.encryptedData`).
_CIPHERTEXT_KEYS = frozenset({"encryptedData"})
#: Values under a credential-like key that cannot be a credential (see the module docstring).
_NOT_A_CREDENTIAL = re.compile(
    r"^(?:(?i:true|false|yes|no|on|off|null|none|enabled|disabled)"  # boolean and null words
    r"|[+-]?\d{1,6}(?:\.\d+)?"                                      # counts, ports, TTLs (not a long PIN)
    r"|(?:/[a-z0-9_.-]+){2,}/?|(?:\./|~/)[a-z0-9_./-]+"               # paths (lowercase segments, not base64)
    r"|ENC\[.*\]|ENC\(.*\)"                                           # SOPS, Jasypt ciphertext
    r"|\*+)$",                                                       # a masked value (********)
    re.DOTALL)
#: A Kubernetes object or key name: what a reference-style key (`_reference_key`) holds.
_NAME = re.compile(r"^[a-z]+(?:[-._][a-z]+)*$")
#: A line of an embedded config file or script that sets a key: `key = value` (INI, TOML),
#: `KEY=value` and `export KEY=value` (.env, shell), `"key": "value"` (JSON) and `key: value`
#: (YAML; only in multi-line values).
_ASSIGNMENT = re.compile(
    r"""^\s*(?:export\s+)?(?P<q>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)(?P=q)\s*(?P<op>=|:(?!//))\s*(?P<value>.*?)[\s,;]*$""")
#: A `key=value` word anywhere in a line: a flag (`--db-password=x`, also mid-line in a script), an
#: env assignment before a command, an `.npmrc` `//host/:_authToken=x`.
_WORD_ASSIGNMENT = re.compile(r"""(?:^|(?<=[\s:]))-{0,2}(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)=(?P<value>"[^"]*"|'[^']*'|[^\s"',;&|]+)""")
#: Values of embedded files that refer to a secret rather than hold one: a variable (`$VAR`, `$1`,
#: `${VAR}`, Grafana's `$__file{/path}`, Argo CD's `$oidc.keycloak.clientSecret`), a Python
#: `%(name)s`, and code that reads one: a call or subscript (`os.environ["DB_PASSWORD"]`), a dotted
#: name (`var.db_password`).
_EMBEDDED_REFERENCE = re.compile(
    r"^(?:\$[A-Za-z_{(@*#?\d].*"
    r"|%\([^)]*\)[sd]"
    r"|[A-Za-z_][\w.]*\s*[(\[].*[)\]]"
    r"|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)$")
#: Comment starts: `#` and `;` (INI, shell, YAML), `//` followed by a space (not `//host/:_authToken=`).
_COMMENT = re.compile(r"^\s*(?:[#;]|//(?:\s|$))")
#: A trailing comment after an unquoted value (`password = x  # prod`).
_TRAILING_COMMENT = re.compile(r"\s+[#;].*$")


def _reference_key(key: str) -> bool:
    """A field naming a Secret or a key in one (`secret`, `secretKey`, `existingSecret`): camelCase or
    lowercase, ending in secret/secretKey; an UPPER_CASE env-style name (`PROXMOX_SECRET`) holds a value."""
    return not key.isupper() and _KEY_SEPARATORS.sub("", key.lower()).endswith(("secret", "secretkey"))


_FIX = ("secrets must not be committed: create the Secret out of band and reference it by name "
        "(spec.proxmox.credentialsRef, gitops.secretRef)")


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and _secret_key(key)


#: Short credential words that are only a suffix after a separator (`DB_PASS`, `smtp-pwd`; not `bypass`).
_SHORT_SUFFIX = re.compile(r"(?:^|[-_.])(?:pass|pwd)$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    return _KEY_SEPARATORS.sub("", key.lower()).endswith(_SECRET_KEY_SUFFIXES) or bool(_SHORT_SUFFIX.search(key))


def _real_value(value: object, key: str = "") -> bool:
    """A string under the credential-like `key` that may be a credential: not empty, a placeholder,
    `_NOT_A_CREDENTIAL`, or a name under a reference-style key (`basicAuth.secret: dashboard-users`)."""
    if not isinstance(value, str) or not value.strip() or _PLACEHOLDER.match(value):
        return False
    text = value.strip()
    if _NOT_A_CREDENTIAL.match(text):
        return False
    return not (key and _reference_key(key) and _NAME.match(text))


#: Any of `_VALUE_PATTERNS`: one search tells whether a value needs the others.
_ANY_VALUE_PATTERN = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _VALUE_PATTERNS))


#: Base64 of `-----BEGIN` at each of the three byte offsets from a 3-byte group boundary (the
#: encoding of whole groups does not depend on what follows), with the dashes each leaves out of
#: its whole groups; then the rest of the base64 run. Values such as a kubeconfig's
#: `client-key-data` and a ConfigMap's `binaryData` start at a boundary; a key after a leading
#: newline or a bag-attributes header (`openssl pkcs12 -nodes`) does not. Matched on the text
#: without whitespace, so a run wrapped over lines (`base64` wraps at 76 columns) is found wherever
#: the line breaks fall, also inside the marker.
_BASE64_BEGIN = {"LS0tLS1CRUdJT": "", "LS0tQkVHSU4": "--", "LS0tLUJFR0lO": "-"}
_BASE64_PEM = re.compile(f"(?:{'|'.join(_BASE64_BEGIN)})[A-Za-z0-9+/]*")
_WHITESPACE = re.compile(r"\s+")
_SPLIT_LS0T = re.compile(r"L\s*S\s*0\s*t")
#: Base64 characters decoded per run: 96 bytes hold any PEM private-key header line, and decoding
#: only them leaves out whatever the run runs into (`...Q==`, or the next line's `DEBUG` once the
#: line break is taken out).
_HEADER_CHARS = 128


def _base64_private_keys(value: str) -> Iterator[int]:
    """Where in `value` (0-based character offsets, ascending) base64-encoded PEM private-key
    blocks start, at any byte alignment and however the base64 is wrapped over lines."""
    if "LS0t" not in value and _SPLIT_LS0T.search(value) is None:
        return  # (every marker starts `LS0t`, maybe split by whitespace)
    compact = _WHITESPACE.sub("", value)
    for m in _BASE64_PEM.finditer(compact):
        run = m.group()
        head = run[:min(len(run) // 4 * 4, _HEADER_CHARS)]
        try:
            decoded = base64.b64decode(head).decode("ascii", "replace")
        except (binascii.Error, ValueError):  # pragma: no cover - whole groups of the alphabet decode
            continue
        dashes = next(dashes for marker, dashes in _BASE64_BEGIN.items() if run.startswith(marker))
        if _PRIVATE_KEY.search(dashes + decoded):
            start = max(0, m.start() - 4) if dashes else m.start()  # the group holding the first dashes
            yield _original_offset(value, start)


def _original_offset(value: str, compact_offset: int) -> int:
    """The offset in `value` of the character at `compact_offset` of `value` without whitespace."""
    seen = 0
    for chunk in re.finditer(r"\S+", value):
        size = chunk.end() - chunk.start()
        if seen + size > compact_offset:
            return chunk.start() + compact_offset - seen
        seen += size
    return len(value)  # pragma: no cover - the offset is inside the compact text


def _base64_private_key(value: str) -> int | None:
    """Where in `value` (0-based character offset) the first base64-encoded PEM private-key block
    starts (`_base64_private_keys`); None if there is none."""
    return next(_base64_private_keys(value), None)


def _value_reason(value: str) -> str | None:
    if _base64_private_key(value) is not None:
        return "a base64-encoded PEM private-key block"
    if not _ANY_VALUE_PATTERN.search(value):
        return None
    for pattern, what in _VALUE_PATTERNS:
        if pattern.search(value):
            return what
    return None  # pragma: no cover - the combined pattern matched, so one of them does


#: Where in a string value an embedded assignment is: (0-based line index, the line's text, stripped).
Embedded = tuple[int, str]


def _embedded_value(key: str, raw: str) -> bool:
    """True if `raw`, the value set for `key` on a line of an embedded file, may be a credential:
    `key` is credential-like and the value, unquoted and without a trailing comment, is not empty,
    prose, a reference (`_EMBEDDED_REFERENCE`) or what `_real_value` rules out."""
    if not _secret_key(key):
        return False
    text = raw.strip()
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        text = text[1:end] if end > 0 else text[1:]
    else:
        text = _TRAILING_COMMENT.sub("", text)
        if not text or text[0] in "{[|>" or any(c.isspace() for c in text):
            return False  # a nested structure, or prose ("Pass: skips the remaining rules")
    return bool(text) and not _EMBEDDED_REFERENCE.match(text) and _real_value(text, key)


def _embedded_assignment(value: str) -> tuple[int, str, str] | None:
    """The first line of `value` (an embedded file or script) that sets a credential-like key to a
    value that may be a credential, as a whole line (`_ASSIGNMENT`) or as a `key=value` word in it
    (`_WORD_ASSIGNMENT`): (0-based line index, key, the line stripped); None when there is none."""
    multiline = "\n" in value
    if "=" not in value and not multiline:
        return None
    for index, line in enumerate(value.splitlines()):
        if _COMMENT.match(line):
            continue
        m = _ASSIGNMENT.match(line)
        if m is not None and (m["op"] == "=" or multiline) and _embedded_value(m["key"], m["value"]):
            return index, m["key"], line.strip()
        for word in _WORD_ASSIGNMENT.finditer(line):
            if _embedded_value(word["key"], word["value"]):
                return index, word["key"], line.strip()
    return None


def scan_data(data: Any, pointer: str = "") -> Iterator[tuple[str, str, Embedded | None]]:
    """Yield (pointer, reason, embedded) for every credential-looking value in plain YAML data, in
    document order; `embedded` is the line inside a string value that embeds a file or a script
    (`Embedded`, see `_embedded_assignment`), else None."""
    found: list[tuple[str, str, Embedded | None]] = []
    if isinstance(data, str):
        reason = _value_reason(data) if pointer == "" else None
        if reason:
            found.append(("", reason, None))
    else:
        _scan(data, pointer, found)
    return iter(found)


def _scan_string(value: str, pointer: str, found: list[tuple[str, str, Embedded | None]]) -> None:
    """`_scan` of one string value that is not under a credential-like key."""
    reason = _value_reason(value)
    if reason:
        found.append((pointer, reason, None))
        return
    hit = _embedded_assignment(value)
    if hit is not None:
        index, key, line = hit
        where = f"line {index + 1} of the value" if "\n" in value else "the value"
        found.append((pointer, f"{key!r} set in {where}", (index, line)))


def _scan(data: Any, pointer: str, found: list[tuple[str, str, Embedded | None]]) -> None:
    """`scan_data` into `found`: a mapping's or a list's values, recursively."""
    if isinstance(data, dict):
        skip: frozenset[str] = frozenset()
        if data.get("kind") == "Secret" and data.get("apiVersion") == "v1":
            skip = frozenset({"data", "stringData"})  # reported as a whole by `no-inline-secrets`
        env_name = data.get("name")
        if _is_secret_key(env_name) and _real_value(data.get("value")):
            found.append((f"{pointer}/value", f"the value of {env_name!r}", None))
        for key, value in data.items():
            if key in skip or (key in _CIPHERTEXT_KEYS and isinstance(value, dict)):
                continue
            if key in _LABEL_KEYS and isinstance(value, dict):
                for label, label_value in value.items():
                    reason = _value_reason(label_value) if isinstance(label_value, str) else None
                    if reason:
                        found.append((f"{pointer}/{escape_token(key)}/{escape_token(str(label))}", reason, None))
                continue
            if _is_secret_key(key) and _real_value(value, key):
                found.append((f"{pointer}/{escape_token(key)}", f"a value for the credential-like key {key!r}", None))
            elif isinstance(value, str):
                _scan_string(value, f"{pointer}/{escape_token(key)}", found)
            elif isinstance(value, dict | list):
                _scan(value, f"{pointer}/{escape_token(key)}", found)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, str):
                _scan_string(item, f"{pointer}/{i}", found)
            elif isinstance(item, dict | list):
                _scan(item, f"{pointer}/{i}", found)


#: The last fleetgen.yaml scanned and its hits: per-cluster runs check the same config once per cluster.
_CONFIG_SCAN: list[tuple[object, tuple[tuple[str, str, Embedded | None], ...]]] = []


def _config_hits(config: object) -> tuple[tuple[str, str, Embedded | None], ...]:
    """`scan_data` of fleetgen.yaml (as its model dumps), remembered for the last config object."""
    if _CONFIG_SCAN and _CONFIG_SCAN[0][0] is config:
        return _CONFIG_SCAN[0][1]
    hits = tuple(scan_data(config.model_dump(by_alias=True, exclude_none=True, mode="json")))  # type: ignore[attr-defined]
    _CONFIG_SCAN[:] = [(config, hits)]
    return hits


def _embedded_position(pos: Position, embedded: Embedded, lines: list[str] | None) -> Position:
    """Where an embedded assignment is in its file: its own line when the value is a literal block
    scalar (`key: |`, its lines as written, starting on the line after `pos`), else `pos` (the
    value's key: a folded or quoted value's lines are not the file's)."""
    index, text = embedded
    lineno = pos.line + 1 + index
    if lines is not None and lineno <= len(lines) and lines[lineno - 1].strip() == text:
        line = lines[lineno - 1]
        return Position(pos.file, lineno, len(line) - len(line.lstrip()) + 1)
    return pos


class NoInlineCredentialsRule:
    """No credential-looking values in fleetgen.yaml, ClusterSpecs, addons and addon files."""

    id = "no-inline-credentials"
    severity = Severity.ERROR
    summary = "no secrets in specs or addon files: reference a Secret (credentialsRef) instead"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per credential-looking value, once per file position."""
        seen: set[tuple[str, int, int]] = set()
        fleet = ctx.fleet
        texts: dict[str, list[str] | None] = {}

        def file_lines(file: str) -> list[str] | None:
            if file not in texts:
                try:
                    texts[file] = (fleet.root / file).read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError):
                    texts[file] = None
            return texts[file]

        def emit(source: SourceMap, pointer: str, reason: str, embedded: Embedded | None) -> Iterator[Finding]:
            pos = source.lookup(pointer)
            if embedded is not None:
                pos = _embedded_position(pos, embedded, file_lines(pos.file))
            key = (pos.file, pos.line, pos.col)
            if key in seen:
                return
            seen.add(key)
            path = pointer_to_path(pointer) or "(document)"
            yield Finding(self.id, self.severity, f"{path}: looks like an inline credential ({reason}); {_FIX}",
                          pos, pointer=pointer)

        for hit in _config_hits(fleet.config):
            yield from emit(fleet.config_source, *hit)
        for cluster in fleet.clusters:
            data = cluster.spec.model_dump(by_alias=True, exclude_none=True, mode="json")
            for hit in scan_data(data):
                yield from emit(cluster.source, *hit)
        for addon in fleet.addons:
            for hit in scan_data(addon.addon.model_dump(by_alias=True, exclude_none=True, mode="json")):
                yield from emit(addon.source, *hit)
            folder = posixpath.dirname(addon.path)
            for name, content in addon.files.items():
                path = posixpath.join(folder, name)
                texts[path] = content.decode("utf-8", errors="replace").splitlines()
                yield from self._scan_file(path, content, emit)

    def _scan_file(self, path: str, content: bytes, emit: Any) -> Iterator[Finding]:
        try:
            docs = load_yaml(content, path, allow_empty=True)
        except YamlLoadError:
            yield from self._scan_text(path, content)
            return
        for doc in docs:
            for hit in scan_data(doc.data):
                yield from emit(doc.source, *hit)

    def _scan_text(self, path: str, content: bytes) -> Iterator[Finding]:
        text = content.decode("utf-8", errors="replace")
        lines = text.splitlines(keepends=True)
        starts = list(itertools.accumulate((len(line) for line in lines), initial=0))
        encoded: dict[int, int] = {}  # line number -> column offset of a base64 key's first group
        for offset in _base64_private_keys(text):
            lineno = bisect.bisect_right(starts, offset)
            encoded.setdefault(lineno, offset - starts[lineno - 1])
        for lineno, line in enumerate(lines, start=1):
            hit = next(((m.start(), what) for pattern, what in _VALUE_PATTERNS if (m := pattern.search(line))), None)
            if hit is None and lineno in encoded:
                hit = encoded[lineno], "a base64-encoded PEM private-key block"
            if hit is not None:
                yield Finding(self.id, self.severity, f"line {lineno}: looks like an inline credential ({hit[1]}); {_FIX}",
                              Position(path, lineno, hit[0] + 1))


RULE = NoInlineCredentialsRule()
