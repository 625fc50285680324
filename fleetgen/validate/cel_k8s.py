"""The Kubernetes CEL environment on top of the `cel` (common-expression-language) library.

Owns: the functions the Kubernetes API server adds to CEL for CRD validation rules that the
`cel` library does not ship, as plain Python callables registered by name (`FUNCTIONS`), and
`rewrite_expression`, which routes the two built-ins the library gets wrong to faithful
replacements. Must not walk schemas or objects (that is `fleetgen.validate.cel`).

What is here, each following its Kubernetes source:

* `duration()` with Go `time.ParseDuration` syntax (the library rejects `µs`/`μs` and silently
  ignores trailing garbage: `duration('1h30x')` is 1h there) and `size()` counting Unicode code
  points for strings (the library counts UTF-8 bytes). Built-ins cannot be overridden through a
  `cel.Context`, so `rewrite_expression` renames calls of these two identifiers (outside string
  literals and comments) to `_k8s_duration`/`_k8s_size`; nothing else in an expression is touched.
* cel-go strings extension pieces the library lacks: `format`, and `indexOf`/`lastIndexOf`
  dispatching to the Kubernetes list overloads.
* Kubernetes libraries (k8s.io/apiserver/pkg/cel/library): lists (`isSorted`, `sum`, `min`,
  `max`, `indexOf`, `lastIndexOf`), regex (`find`, `findAll`), URLs (`url`, `isURL`, `getScheme`,
  `getHost`, `getHostname`, `getPort`, `getEscapedPath`, `getQuery`), IP and CIDR (`ip`, `isIP`,
  `ip.isCanonical`, `family`, `isUnspecified`, `isLoopback`, `isLinkLocalMulticast`,
  `isLinkLocalUnicast`, `isGlobalUnicast`, `cidr`, `isCIDR`, `containsIP`, `containsCIDR`,
  `masked`, `prefixLength`), quantity (`quantity`, `isQuantity`, `sign`, `isGreaterThan`,
  `isLessThan`, `compareTo`, `add`, `sub`, `asInteger`, `isInteger`, `asApproximateFloat`),
  semver (`semver`, `isSemver`, `major`, `minor`, `patch` + the comparisons), and format
  (`format.named`, `format.dns1123Label`, ... and `<format>.validate`).

The library cannot carry opaque Python objects through an expression, so the Kubernetes object
types (URL, IP, CIDR, Quantity, Semver, Format) are one-key maps tagged `@k8s.<type>` holding a
canonical string. Canonical forms make `==` agree with Kubernetes (`quantity('1Gi') ==
quantity('1024Mi')`); `string(ip(...))` and `type(...)` on them are not supported.

Example:
    >>> from fleetgen.validate.cel_lib import cel
    >>> from fleetgen.validate.cel_k8s import FUNCTIONS, rewrite_expression
    >>> program = cel.compile(rewrite_expression("duration(self) <= duration('2562047h')"))
    >>> program.execute({"self": "100µs", "_k8s_duration": FUNCTIONS["_k8s_duration"]})
    True
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fleetgen.validate.cel_lib import cel, stdlib

# ---------------------------------------------------------------------------------------------
# Built-ins the library gets wrong: duration() and size()
# ---------------------------------------------------------------------------------------------

#: Built-in function identifiers rerouted by `rewrite_expression`, and their replacements.
RENAMED_BUILTINS: dict[str, str] = {"duration": "_k8s_duration", "size": "_k8s_size"}

_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_PREFIX = re.compile(r"(?:[rR][bB]?|[bB][rR]?)?('''|\"\"\"|'|\")")

_GO_DURATION_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_GO_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]+)")
_MAX_INT64 = 2**63 - 1


def rewrite_expression(expression: str) -> str:
    """Route calls of the built-ins in `RENAMED_BUILTINS` to the faithful replacements.

    Only identifiers directly followed by `(` are renamed (function and method calls alike:
    `size(x)` and `x.size()`); string and bytes literals (all quote forms, raw or not) and `//`
    comments are copied untouched, so `'size(x)'` inside a literal stays as written.

    Args:
        expression: CEL source as written in the CRD.

    Returns:
        The CEL source to compile; identical to `expression` when it calls neither built-in.

    Source:
        github.com/google/cel-spec doc/langdef.md (lexical structure: literals, comments).
    """
    if "size" not in expression and "duration" not in expression:
        return expression
    out: list[str] = []
    i, n = 0, len(expression)
    while i < n:
        ch = expression[i]
        if ch == "/" and expression.startswith("//", i):
            end = expression.find("\n", i)
            end = n if end < 0 else end
            out.append(expression[i:end])
            i = end
            continue
        m = _STRING_PREFIX.match(expression, i)
        if m and (m.start() == 0 or not _is_ident_char(expression[m.start() - 1])):
            quote_seq = m.group(1)
            raw = "r" in expression[i : m.start(1)].lower()
            j = m.end()
            while j < n:
                if not raw and expression[j] == "\\":
                    j += 2
                    continue
                if expression.startswith(quote_seq, j):
                    j += len(quote_seq)
                    break
                j += 1
            out.append(expression[i:j])
            i = j
            continue
        if _IDENT_START.match(ch) and (i == 0 or not _is_ident_char(expression[i - 1])):
            ident = _IDENT.match(expression, i).group(0)  # type: ignore[union-attr]
            j = i + len(ident)
            k = j
            while k < n and expression[k] in " \t\r\n":
                k += 1
            if ident in RENAMED_BUILTINS and k < n and expression[k] == "(":
                out.append(RENAMED_BUILTINS[ident])
            else:
                out.append(ident)
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def parse_go_duration(text: str) -> timedelta:
    """Parse a Go duration string exactly as `time.ParseDuration` accepts it.

    Args:
        text: e.g. `"1h30m"`, `"1.5h"`, `"100µs"`, `"-2m"`, `"0"`.

    Returns:
        The duration (Python resolution: microseconds; sub-microsecond parts are truncated).

    Raises:
        ValueError: `invalid duration` for anything Go rejects (`"1d"`, `"1h30x"`, `""`) or
            a value beyond +/-(2^63-1) ns.

    Units:
        ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h.

    Source:
        Go src/time/format.go (ParseDuration), used by cel-go's `duration(string)`.
    """
    s = text
    neg = False
    if s[:1] in ("-", "+"):
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return timedelta(0)
    if not s:
        raise ValueError(f"invalid duration {text!r}")
    total_ns = Decimal(0)
    pos = 0
    while pos < len(s):
        m = _GO_DURATION_PART.match(s, pos)
        if not m or (not m.group(1) and not m.group(2)):
            raise ValueError(f"invalid duration {text!r}")
        unit = _GO_DURATION_UNITS_NS.get(m.group(3))
        if unit is None:
            raise ValueError(f"unknown unit {m.group(3)!r} in duration {text!r}")
        number = Decimal(f"{m.group(1) or '0'}.{m.group(2) or '0'}")
        total_ns += number * unit
        pos = m.end()
    if total_ns > _MAX_INT64:
        raise ValueError(f"invalid duration {text!r}")
    ns = int(total_ns)
    return timedelta(microseconds=-(ns // 1000) if neg else ns // 1000)


def k8s_duration(value: Any) -> timedelta:
    """`duration(string)` / `duration(duration)` with Go syntax (see `parse_go_duration`).

    Source: github.com/google/cel-go common/types/string.go (string -> duration conversion).
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        return parse_go_duration(value)
    raise TypeError(f"no such overload: duration({type(value).__name__})")


def k8s_size(value: Any) -> int:
    """`size()`: code points of a string, bytes of a bytes value, entries of a list or map.

    Source: github.com/google/cel-spec doc/langdef.md (size: "string size is in code points").
    """
    if isinstance(value, (str, bytes, list, tuple, dict)):
        return len(value)
    raise TypeError(f"no such overload: size({type(value).__name__})")


# ---------------------------------------------------------------------------------------------
# cel-go strings extension pieces, and the Kubernetes lists library
# ---------------------------------------------------------------------------------------------


def string_format(template: str, args: list[Any]) -> str:
    """`<string>.format(<list>)`: printf-like formatting of the cel-go strings extension.

    Supports `%s`, `%d`, `%f`/`%.Nf`, `%e`/`%.Ne`, `%b`, `%o`, `%x`, `%X` and `%%`.

    Raises:
        ValueError: unknown verb or too few arguments.

    Source: github.com/google/cel-go ext/strings.go and ext/formatting.go (`format`).
    """
    out: list[str] = []
    i = argi = 0
    while i < len(template):
        ch = template[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        m = re.match(r"%(?:\.(\d+))?([sdfeboxX%])", template[i:])
        if not m:
            raise ValueError(f"could not parse formatting clause at {template[i:]!r}")
        precision, verb = m.group(1), m.group(2)
        i += m.end()
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            raise ValueError(f"index {argi} out of range")
        arg = args[argi]
        argi += 1
        if verb == "s":
            out.append(_format_string(arg))
        elif verb == "d":
            out.append(str(int(arg)))
        elif verb in "fe":
            out.append(f"{float(arg):.{int(precision or 6)}{verb}}")
        elif verb == "b":
            out.append(format(arg, "b") if isinstance(arg, int) else arg.encode().hex())
        elif verb == "o":
            out.append(format(int(arg), "o"))
        else:
            if isinstance(arg, int):
                out.append(format(arg, verb))
            else:
                raw = arg if isinstance(arg, bytes) else str(arg).encode()
                out.append(raw.hex() if verb == "x" else raw.hex().upper())
    return "".join(out)


def _format_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_format_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_format_string(k)}:{_format_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def is_sorted(items: list[Any]) -> bool:
    """`<list>.isSorted()`. Source: k8s.io/apiserver/pkg/cel/library/lists.go (isSorted)."""
    return all(not (items[i] > items[i + 1]) for i in range(len(items) - 1))


def list_sum(items: list[Any]) -> Any:
    """`<list>.sum()`; 0 for an empty list. Source: k8s.io/apiserver/pkg/cel/library/lists.go (sum)."""
    if not items:
        return 0
    total = items[0]
    for item in items[1:]:
        total = total + item
    return total


def list_min(items: Any, *rest: Any) -> Any:
    """`<list>.min()`; error on an empty list. Source: k8s.io/apiserver/pkg/cel/library/lists.go (min)."""
    values = _aggregate_args(items, rest)
    if not values:
        raise ValueError("min called on empty list")
    return min(values)


def list_max(items: Any, *rest: Any) -> Any:
    """`<list>.max()`; error on an empty list. Source: k8s.io/apiserver/pkg/cel/library/lists.go (max)."""
    values = _aggregate_args(items, rest)
    if not values:
        raise ValueError("max called on empty list")
    return max(values)


def _aggregate_args(items: Any, rest: tuple[Any, ...]) -> list[Any]:
    return list(items) if isinstance(items, list) and not rest else [items, *rest]


def index_of(container: Any, item: Any, *offset: int) -> int:
    """`indexOf`: strings (cel-go strings ext) or lists (Kubernetes lists library).

    Source: k8s.io/apiserver/pkg/cel/library/lists.go (indexOf); cel-go ext/strings.go (indexOf).
    """
    if isinstance(container, str):
        return stdlib.index_of(container, item, *offset)
    for i, element in enumerate(container):
        if _cel_equal(element, item):
            return i
    return -1


def last_index_of(container: Any, item: Any, *offset: int) -> int:
    """`lastIndexOf`: strings (cel-go strings ext) or lists (Kubernetes lists library).

    Source: k8s.io/apiserver/pkg/cel/library/lists.go (lastIndexOf); cel-go ext/strings.go.
    """
    if isinstance(container, str):
        return stdlib.last_index_of(container, item, *offset)
    for i in range(len(container) - 1, -1, -1):
        if _cel_equal(container[i], item):
            return i
    return -1


def _cel_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


# ---------------------------------------------------------------------------------------------
# Regex library
# ---------------------------------------------------------------------------------------------


def regex_find(text: str, pattern: str) -> str:
    """`<string>.find(<regex>)`: first match or "". Source: k8s.io/apiserver/pkg/cel/library/regex.go."""
    m = re.search(pattern, text)
    return m.group(0) if m else ""


def regex_find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    """`<string>.findAll(<regex>[, limit])`. Source: k8s.io/apiserver/pkg/cel/library/regex.go."""
    if limit == 0:
        return []
    found = [m.group(0) for m in re.finditer(pattern, text)]
    return found if limit < 0 else found[:limit]


# ---------------------------------------------------------------------------------------------
# Tagged Kubernetes object types
# ---------------------------------------------------------------------------------------------

_URL, _IP, _CIDR, _QUANTITY, _SEMVER, _FORMAT = (
    "@k8s.url",
    "@k8s.ip",
    "@k8s.cidr",
    "@k8s.quantity",
    "@k8s.semver",
    "@k8s.format",
)


def _tag(kind: str, value: str) -> dict[str, str]:
    return {kind: value}


def _tagged(value: Any, kind: str) -> str | None:
    if isinstance(value, dict) and len(value) == 1 and kind in value:
        return value[kind]  # type: ignore[no-any-return]
    return None


def _require(value: Any, kind: str, fn: str) -> str:
    inner = _tagged(value, kind)
    if inner is None:
        raise TypeError(f"no such overload: {fn}({type(value).__name__})")
    return inner


# ---- URLs -------------------------------------------------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")


def _parse_request_uri(text: str) -> Any:
    """Go `url.ParseRequestURI`: an absolute URI or an absolute path, no fragment splitting."""
    if not text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise ValueError(f"URL parse error: invalid URI {text!r}")
    if not text.startswith("/"):
        scheme, sep, _ = text.partition(":")
        if not sep or not _SCHEME.match(scheme):
            raise ValueError(f"URL parse error: invalid URI for request {text!r}")
    parts = urlsplit(text, allow_fragments=False)
    if parts.netloc:
        host = parts.netloc.rpartition("@")[2]
        if host.startswith("["):
            close = host.find("]")
            if close < 0 or (host[close + 1 :] and not re.fullmatch(r":[0-9]*", host[close + 1 :])):
                raise ValueError(f"URL parse error: invalid host {host!r}")
        elif host.count(":") > 1 or (":" in host and not re.fullmatch(r"[^:]*:[0-9]*", host)):
            raise ValueError(f"URL parse error: invalid port in {host!r}")
    return parts


def url(text: str) -> dict[str, str]:
    """`url(<string>)`; error if Go's `url.ParseRequestURI` rejects it. Source: k8s.io/apiserver/pkg/cel/library/urls.go."""
    _parse_request_uri(text)
    return _tag(_URL, text)


def is_url(text: str) -> bool:
    """`isURL(<string>)`. Source: k8s.io/apiserver/pkg/cel/library/urls.go."""
    try:
        _parse_request_uri(text)
    except ValueError:
        return False
    return True


def _url_parts(value: Any, fn: str) -> Any:
    return _parse_request_uri(_require(value, _URL, fn))


def get_scheme(value: Any) -> str:
    """`<URL>.getScheme()`. Source: k8s.io/apiserver/pkg/cel/library/urls.go."""
    return _url_parts(value, "getScheme").scheme  # type: ignore[no-any-return]


def get_host(value: Any) -> str:
    """`<URL>.getHost()`: host with port, IPv6 in brackets. Source: k8s.io/apiserver/pkg/cel/library/urls.go."""
    return _url_parts(value, "getHost").netloc.rpartition("@")[2]  # type: ignore[no-any-return]


def get_hostname(value: Any) -> str:
    """`<URL>.getHostname()`: host without port or brackets. Source: k8s.io/apiserver/pkg/cel/library/urls.go."""
    host = get_host(value)
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.partition(":")[0]


def get_port(value: Any) -> str:
    """`<URL>.getPort()`: the port or "". Source: k8s.io/apiserver/pkg/cel/library/urls.go."""
    host = get_host(value)
    if host.startswith("["):
        host = host[host.find("]") + 1 :]
    return host.partition(":")[2]


def get_escaped_path(value: Any) -> str:
    """`<URL>.getEscapedPath()`. Source: k8s.io/apiserver/pkg/cel/library/urls.go."""
    return quote(_url_parts(value, "getEscapedPath").path, safe="/:@!$&'()*+,;=-._~%")


def get_query(value: Any) -> dict[str, list[str]]:
    """`<URL>.getQuery()`: map of key to values. Source: k8s.io/apiserver/pkg/cel/library/urls.go."""
    return parse_qs(_url_parts(value, "getQuery").query, keep_blank_values=True)


# ---- IP and CIDR ----------------------------------------------------------------------------


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if "%" in text:
        raise ValueError("IP address with zone value is not allowed")
    addr = ipaddress.ip_address(text)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        raise ValueError("IPv4-mapped IPv6 address is not allowed")
    return addr


def ip(value: Any) -> dict[str, str]:
    """`ip(<string>)`, or `<CIDR>.ip()` (the address part of a CIDR).

    Source: k8s.io/apiserver/pkg/cel/library/ip.go and cidr.go.
    """
    inner = _tagged(value, _CIDR)
    if inner is not None:
        return _tag(_IP, inner.partition("/")[0])
    if not isinstance(value, str):
        raise TypeError(f"no such overload: ip({type(value).__name__})")
    return _tag(_IP, str(_parse_ip(value)))


def is_ip(text: str) -> bool:
    """`isIP(<string>)`. Source: k8s.io/apiserver/pkg/cel/library/ip.go."""
    try:
        _parse_ip(text)
    except ValueError:
        return False
    return True


def ip_is_canonical(text: str) -> bool:
    """`ip.isCanonical(<string>)`. Source: k8s.io/apiserver/pkg/cel/library/ip.go."""
    return str(_parse_ip(text)) == text


def _ip_value(value: Any, fn: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(_require(value, _IP, fn))


def family(value: Any) -> int:
    """`<IP>.family()`: 4 or 6. Source: k8s.io/apiserver/pkg/cel/library/ip.go."""
    return _ip_value(value, "family").version


def is_unspecified(value: Any) -> bool:
    """`<IP>.isUnspecified()`. Source: k8s.io/apiserver/pkg/cel/library/ip.go."""
    return _ip_value(value, "isUnspecified").is_unspecified


def is_loopback(value: Any) -> bool:
    """`<IP>.isLoopback()`. Source: k8s.io/apiserver/pkg/cel/library/ip.go."""
    return _ip_value(value, "isLoopback").is_loopback


def is_link_local_multicast(value: Any) -> bool:
    """`<IP>.isLinkLocalMulticast()` (Go netip: 224.0.0.0/24, ff02::/16).

    Source: k8s.io/apiserver/pkg/cel/library/ip.go; Go net/netip IsLinkLocalMulticast.
    """
    addr = _ip_value(value, "isLinkLocalMulticast")
    if addr.version == 4:
        return addr in ipaddress.ip_network("224.0.0.0/24")
    return (int(addr) >> 112) & 0xFF0F == 0xFF02


def is_link_local_unicast(value: Any) -> bool:
    """`<IP>.isLinkLocalUnicast()` (169.254.0.0/16, fe80::/10). Source: k8s.io/apiserver/pkg/cel/library/ip.go."""
    addr = _ip_value(value, "isLinkLocalUnicast")
    net = "169.254.0.0/16" if addr.version == 4 else "fe80::/10"
    return addr in ipaddress.ip_network(net)


def is_global_unicast(value: Any) -> bool:
    """`<IP>.isGlobalUnicast()` with Go semantics (private ranges count as global unicast).

    Source: k8s.io/apiserver/pkg/cel/library/ip.go; Go net/netip IsGlobalUnicast.
    """
    addr = _ip_value(value, "isGlobalUnicast")
    if addr.version == 4 and addr == ipaddress.IPv4Address("255.255.255.255"):
        return False
    return not (addr.is_unspecified or addr.is_loopback or addr.is_multicast or is_link_local_unicast(value))


def _parse_cidr(text: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    addr_text, sep, bits_text = text.partition("/")
    if not sep or not bits_text.isdigit() or (len(bits_text) > 1 and bits_text[0] == "0"):
        raise ValueError(f"network address parse error during conversion from string: {text!r}")
    addr = _parse_ip(addr_text)
    bits = int(bits_text)
    if bits > addr.max_prefixlen:
        raise ValueError(f"network address parse error during conversion from string: {text!r}")
    return addr, bits


def cidr(text: str) -> dict[str, str]:
    """`cidr(<string>)`. Source: k8s.io/apiserver/pkg/cel/library/cidr.go."""
    addr, bits = _parse_cidr(text)
    return _tag(_CIDR, f"{addr}/{bits}")


def is_cidr(text: str) -> bool:
    """`isCIDR(<string>)`. Source: k8s.io/apiserver/pkg/cel/library/cidr.go."""
    try:
        _parse_cidr(text)
    except ValueError:
        return False
    return True


def _network(value: Any, fn: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(_require(value, _CIDR, fn), strict=False)


def contains_ip(value: Any, other: Any) -> bool:
    """`<CIDR>.containsIP(<IP or string>)`. Source: k8s.io/apiserver/pkg/cel/library/cidr.go."""
    net = _network(value, "containsIP")
    addr = _parse_ip(other) if isinstance(other, str) else _ip_value(other, "containsIP")
    return addr.version == net.version and addr in net


def contains_cidr(value: Any, other: Any) -> bool:
    """`<CIDR>.containsCIDR(<CIDR or string>)`. Source: k8s.io/apiserver/pkg/cel/library/cidr.go."""
    net = _network(value, "containsCIDR")
    inner = cidr(other) if isinstance(other, str) else other
    sub = _network(inner, "containsCIDR")
    return sub.version == net.version and sub.prefixlen >= net.prefixlen and sub.network_address in net


def masked(value: Any) -> dict[str, str]:
    """`<CIDR>.masked()`: host bits cleared. Source: k8s.io/apiserver/pkg/cel/library/cidr.go."""
    return _tag(_CIDR, str(_network(value, "masked")))


def prefix_length(value: Any) -> int:
    """`<CIDR>.prefixLength()`. Source: k8s.io/apiserver/pkg/cel/library/cidr.go."""
    return int(_require(value, _CIDR, "prefixLength").partition("/")[2])


# ---- Quantity ----------------------------------------------------------------------------------

_QUANTITY_RE = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$"
)
_QUANTITY_SUFFIX = {
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}


def _parse_quantity(text: str) -> Decimal:
    m = _QUANTITY_RE.match(text)
    if not m:
        raise ValueError(
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        )
    suffix = m.group(2) or ""
    try:
        number = Decimal(m.group(1))
    except InvalidOperation as err:
        raise ValueError(f"invalid quantity {text!r}") from err
    if suffix[:1] in ("e", "E"):
        return number.scaleb(int(suffix[1:]))
    return number * _QUANTITY_SUFFIX[suffix]


def _quantity_value(value: Any, fn: str) -> Decimal:
    return Decimal(_require(value, _QUANTITY, fn))


def _quantity_tag(number: Decimal) -> dict[str, str]:
    normal = number.normalize()
    return _tag(_QUANTITY, "0" if normal.is_zero() else format(normal, "f"))


def quantity(text: str) -> dict[str, str]:
    """`quantity(<string>)`. Source: k8s.io/apiserver/pkg/cel/library/quantity.go."""
    return _quantity_tag(_parse_quantity(text))


def is_quantity(text: str) -> bool:
    """`isQuantity(<string>)`. Source: k8s.io/apiserver/pkg/cel/library/quantity.go."""
    try:
        _parse_quantity(text)
    except ValueError:
        return False
    return True


def sign(value: Any) -> int:
    """`<Quantity>.sign()`: -1, 0 or 1. Source: k8s.io/apiserver/pkg/cel/library/quantity.go."""
    number = _quantity_value(value, "sign")
    return (number > 0) - (number < 0)


def as_integer(value: Any) -> int:
    """`<Quantity>.asInteger()`; error if not an int64. Source: k8s.io/apiserver/pkg/cel/library/quantity.go."""
    number = _quantity_value(value, "asInteger")
    if number != number.to_integral_value() or not -(2**63) <= number <= _MAX_INT64:
        raise ValueError("cannot convert value to integer")
    return int(number)


def is_integer(value: Any) -> bool:
    """`<Quantity>.isInteger()`. Source: k8s.io/apiserver/pkg/cel/library/quantity.go."""
    try:
        as_integer(value)
    except ValueError:
        return False
    return True


def as_approximate_float(value: Any) -> float:
    """`<Quantity>.asApproximateFloat()`. Source: k8s.io/apiserver/pkg/cel/library/quantity.go."""
    return float(_quantity_value(value, "asApproximateFloat"))


def _quantity_operand(value: Any, fn: str) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return _quantity_value(value, fn)


def add(value: Any, other: Any) -> dict[str, str]:
    """`<Quantity>.add(<Quantity or int>)`. Source: k8s.io/apiserver/pkg/cel/library/quantity.go."""
    return _quantity_tag(_quantity_value(value, "add") + _quantity_operand(other, "add"))


def sub(value: Any, other: Any) -> dict[str, str]:
    """`<Quantity>.sub(<Quantity or int>)`. Source: k8s.io/apiserver/pkg/cel/library/quantity.go."""
    return _quantity_tag(_quantity_value(value, "sub") - _quantity_operand(other, "sub"))


# ---- Semver ------------------------------------------------------------------------------------

_SEMVER_RE = re.compile(
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


def _normalize_semver(text: str) -> str:
    text = text[1:] if text.startswith("v") else text
    core, plus, build = text.partition("+")
    core, dash, pre = core.partition("-")
    nums = core.split(".")
    if len(nums) > 3:
        return text
    nums = [n.lstrip("0") or "0" if n.isdigit() else n for n in nums] + ["0"] * (3 - len(nums))
    return ".".join(nums) + (dash + pre) + (plus + build)


def _parse_semver(text: str, normalize: bool = False) -> tuple[int, int, int, str]:
    m = _SEMVER_RE.match(_normalize_semver(text) if normalize else text)
    if not m:
        raise ValueError(f"could not parse {text!r} as semver")
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4) or ""


def semver(text: str, normalize: bool = False) -> dict[str, str]:
    """`semver(<string>[, normalize])`. Source: k8s.io/apiserver/pkg/cel/library/semverlib.go."""
    major_, minor_, patch_, pre = _parse_semver(text, normalize)
    return _tag(_SEMVER, f"{major_}.{minor_}.{patch_}" + (f"-{pre}" if pre else ""))


def is_semver(text: str, normalize: bool = False) -> bool:
    """`isSemver(<string>[, normalize])`. Source: k8s.io/apiserver/pkg/cel/library/semverlib.go."""
    try:
        _parse_semver(text, normalize)
    except ValueError:
        return False
    return True


def _semver_value(value: Any, fn: str) -> tuple[int, int, int, str]:
    return _parse_semver(_require(value, _SEMVER, fn))


def major(value: Any) -> int:
    """`<Semver>.major()`. Source: k8s.io/apiserver/pkg/cel/library/semverlib.go."""
    return _semver_value(value, "major")[0]


def minor(value: Any) -> int:
    """`<Semver>.minor()`. Source: k8s.io/apiserver/pkg/cel/library/semverlib.go."""
    return _semver_value(value, "minor")[1]


def patch(value: Any) -> int:
    """`<Semver>.patch()`. Source: k8s.io/apiserver/pkg/cel/library/semverlib.go."""
    return _semver_value(value, "patch")[2]


def _semver_cmp(a: tuple[int, int, int, str], b: tuple[int, int, int, str]) -> int:
    if a[:3] != b[:3]:
        return -1 if a[:3] < b[:3] else 1
    if a[3] == b[3]:
        return 0
    if not a[3] or not b[3]:
        return 1 if not a[3] else -1
    for x, y in zip(a[3].split("."), b[3].split("."), strict=False):
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return -1 if int(x) < int(y) else 1
        if x.isdigit() != y.isdigit():
            return -1 if x.isdigit() else 1
        return -1 if x < y else 1
    na, nb = len(a[3].split(".")), len(b[3].split("."))
    return (na > nb) - (na < nb)


def compare_to(value: Any, other: Any) -> int:
    """`compareTo` for Quantity and Semver values: -1, 0 or 1.

    Source: k8s.io/apiserver/pkg/cel/library/quantity.go and semverlib.go (compareTo).
    """
    if _tagged(value, _SEMVER) is not None:
        return _semver_cmp(_semver_value(value, "compareTo"), _semver_value(other, "compareTo"))
    a, b = _quantity_value(value, "compareTo"), _quantity_value(other, "compareTo")
    return (a > b) - (a < b)


def is_greater_than(value: Any, other: Any) -> bool:
    """`isGreaterThan` for Quantity and Semver. Source: k8s.io/apiserver/pkg/cel/library/quantity.go, semverlib.go."""
    return compare_to(value, other) == 1


def is_less_than(value: Any, other: Any) -> bool:
    """`isLessThan` for Quantity and Semver. Source: k8s.io/apiserver/pkg/cel/library/quantity.go, semverlib.go."""
    return compare_to(value, other) == -1


# ---- Format ------------------------------------------------------------------------------------

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

_MSG_DNS1123_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_MSG_DNS1123_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_MSG_DNS1035_LABEL = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character"
)


def _max_len(text: str, n: int) -> list[str]:
    return [f"must be no more than {n} characters"] if len(text) > n else []


def _dns1123_label(text: str) -> list[str]:
    return _max_len(text, 63) + ([] if _DNS1123_LABEL.match(text) else [_MSG_DNS1123_LABEL])


def _dns1123_subdomain(text: str) -> list[str]:
    return _max_len(text, 253) + ([] if _DNS1123_SUBDOMAIN.match(text) else [_MSG_DNS1123_SUBDOMAIN])


def _dns1035_label(text: str) -> list[str]:
    return _max_len(text, 63) + ([] if _DNS1035_LABEL.match(text) else [_MSG_DNS1035_LABEL])


def _mask_trailing_dash(text: str) -> str:
    return text[:-1] + "a" if len(text) > 1 and text.endswith("-") else text


def _qualified_name(text: str) -> list[str]:
    prefix, slash, name = text.rpartition("/")
    errs: list[str] = []
    if slash:
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += [f"prefix part {e}" for e in _dns1123_subdomain(prefix)]
    if not name:
        return errs + ["name part must be non-empty"]
    if len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not _QUALIFIED_NAME.match(name):
        errs.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character"
        )
    return errs


def _label_value(text: str) -> list[str]:
    return _max_len(text, 63) + (
        []
        if _LABEL_VALUE.match(text)
        else [
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        ]
    )


def _byte(text: str) -> list[str]:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return ["invalid base64"]
    return []


def _date(text: str) -> list[str]:
    try:
        date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else date.fromisoformat("x")
    except ValueError:
        return ["invalid date"]
    return []


def _datetime(text: str) -> list[str]:
    rfc3339 = r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
    try:
        if not re.fullmatch(rfc3339, text):
            raise ValueError(text)
        datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return ["invalid datetime"]
    return []


#: Format name -> validator returning error strings (empty when valid).
FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": _dns1123_label,
    "dns1123Subdomain": _dns1123_subdomain,
    "dns1035Label": _dns1035_label,
    "qualifiedName": _qualified_name,
    "dns1123LabelPrefix": lambda s: _dns1123_label(_mask_trailing_dash(s)),
    "dns1123SubdomainPrefix": lambda s: _dns1123_subdomain(_mask_trailing_dash(s)),
    "dns1035LabelPrefix": lambda s: _dns1035_label(_mask_trailing_dash(s)),
    "labelValue": _label_value,
    "uri": lambda s: [] if is_url(s) else ["invalid URI"],
    "uuid": lambda s: [] if _UUID.match(s) else ["invalid UUID"],
    "byte": _byte,
    "date": _date,
    "datetime": _datetime,
}


def format_named(name: str) -> cel.OptionalValue:
    """`format.named(<string>)`: optional Format. Source: k8s.io/apiserver/pkg/cel/library/format.go."""
    if name in FORMATS:
        return cel.OptionalValue.of(_tag(_FORMAT, name))
    return cel.OptionalValue.none()


def format_validate(value: Any, text: str) -> cel.OptionalValue:
    """`<Format>.validate(<string>)`: optional list of errors, none when valid.

    Source: k8s.io/apiserver/pkg/cel/library/format.go (validate).
    """
    errors = FORMATS[_require(value, _FORMAT, "validate")](text)
    return cel.OptionalValue.of(errors) if errors else cel.OptionalValue.none()


def _format_constructor(name: str) -> Callable[[], dict[str, str]]:
    def construct() -> dict[str, str]:
        return _tag(_FORMAT, name)

    construct.__doc__ = f"`format.{name}()`. Source: k8s.io/apiserver/pkg/cel/library/format.go."
    return construct


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

#: Every function name available to rules beyond the library's native built-ins, with its
#: implementation: cel.stdlib's cel-go extension ports, then the Kubernetes ones (which win).
FUNCTIONS: dict[str, Callable[..., Any]] = {
    **stdlib.STDLIB_FUNCTIONS,
    "_k8s_duration": k8s_duration,
    "_k8s_size": k8s_size,
    "format": string_format,
    "indexOf": index_of,
    "lastIndexOf": last_index_of,
    # lists.go
    "isSorted": is_sorted,
    "sum": list_sum,
    "min": list_min,
    "max": list_max,
    # regex.go
    "find": regex_find,
    "findAll": regex_find_all,
    # urls.go
    "url": url,
    "isURL": is_url,
    "getScheme": get_scheme,
    "getHost": get_host,
    "getHostname": get_hostname,
    "getPort": get_port,
    "getEscapedPath": get_escaped_path,
    "getQuery": get_query,
    # ip.go, cidr.go
    "ip": ip,
    "isIP": is_ip,
    "ip.isCanonical": ip_is_canonical,
    "family": family,
    "isUnspecified": is_unspecified,
    "isLoopback": is_loopback,
    "isLinkLocalMulticast": is_link_local_multicast,
    "isLinkLocalUnicast": is_link_local_unicast,
    "isGlobalUnicast": is_global_unicast,
    "cidr": cidr,
    "isCIDR": is_cidr,
    "containsIP": contains_ip,
    "containsCIDR": contains_cidr,
    "masked": masked,
    "prefixLength": prefix_length,
    # quantity.go
    "quantity": quantity,
    "isQuantity": is_quantity,
    "sign": sign,
    "asInteger": as_integer,
    "isInteger": is_integer,
    "asApproximateFloat": as_approximate_float,
    "add": add,
    "sub": sub,
    # semverlib.go
    "semver": semver,
    "isSemver": is_semver,
    "major": major,
    "minor": minor,
    "patch": patch,
    # quantity.go + semverlib.go
    "compareTo": compare_to,
    "isGreaterThan": is_greater_than,
    "isLessThan": is_less_than,
    # format.go
    "format.named": format_named,
    "validate": format_validate,
    **{f"format.{name}": _format_constructor(name) for name in FORMATS},
}

#: Functions (and operator overload ids) the `cel` library implements natively, as reported by
#: `cel.Program.functions()`: a rule calling anything outside this set and `FUNCTIONS` cannot run.
NATIVE_FUNCTIONS: frozenset[str] = frozenset(
    {
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "bytes",
        "double",
        "duration",
        "dyn",
        "int",
        "uint",
        "string",
        "timestamp",
        "type",
        "has",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
        "hasValue",
        "value",
        "orValue",
        "or",
        "of",
        "none",
        "ofNonZeroValue",
    }
)


def known_function(name: str) -> bool:
    """True if a function name reported by `cel.Program.functions()` can be evaluated.

    Operators (`_+_`, `!_`, `@in`, ...) are native. For namespaced functions such as
    `format.dns1123Label` the library reports only the last segment.
    """
    if name[:1] in ("_", "!", "-", "@"):
        return True
    return name in NATIVE_FUNCTIONS or name in FUNCTIONS or name in _NAMESPACED_TAILS


_NAMESPACED_TAILS = frozenset(n.rsplit(".", 1)[1] for n in FUNCTIONS if "." in n)
