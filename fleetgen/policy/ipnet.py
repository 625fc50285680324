"""IP address, range and CIDR helpers shared by the network policy rules.

Owns: parsing the address notations CAPMOX and the in-cluster IPAM provider accept (a single IP,
an `a-b` range, a CIDR) into inclusive integer intervals, and the subnet arithmetic the rules need
(the IPAM pool's subnet, containment, overlap). Both IP families are handled; values of different
families never overlap or contain each other. Must not build findings (rules do).

Example:
    >>> r = parse_interval("10.10.10.10-10.10.10.20")
    >>> r.contains(parse_ip("10.10.10.15")), r.version
    (True, 4)
    >>> str(pool_network([r], 24))
    '10.10.10.0/24'

Source:
    go4.org/netipx `ParseIPRange` / `IPSetBuilder.AddPrefix`, as used by
    ionos-cloud/cluster-api-provider-proxmox v0.9.0 `internal/webhook/proxmoxcluster_webhook.go`
    (`buildSetFromAddresses`) and kubernetes-sigs/cluster-api-ipam-provider-in-cluster
    `internal/webhooks/inclusterippool.go` (`validateAddressesAreWithinPrefix`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(text: object) -> IPAddress | None:
    """Parse one IP address; None if `text` is not a string holding one."""
    if not isinstance(text, str):
        return None
    return _parse_ip(text)


@lru_cache(maxsize=65536)
def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def parse_cidr(text: object) -> IPNetwork | None:
    """Parse a CIDR block the way Go's `net.ParseCIDR` does (host bits allowed); None if invalid."""
    if not isinstance(text, str) or "/" not in text:
        return None
    return _parse_cidr(text)


@lru_cache(maxsize=65536)
def _parse_cidr(text: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@dataclass(frozen=True, order=True)
class IPInterval:
    """An inclusive range of addresses of one family.

    Attributes:
        version: 4 or 6.
        first: lowest address, as an int.
        last: highest address, as an int.
        text: the notation it was parsed from (for messages).
    """

    version: int
    first: int
    last: int
    text: str = field(default="", compare=False)

    @property
    def first_address(self) -> IPAddress:
        """The lowest address."""
        return _addr(self.version, self.first)

    @property
    def size(self) -> int:
        """Number of addresses in the interval."""
        return self.last - self.first + 1

    def contains(self, ip: IPAddress | None) -> bool:
        """True if `ip` is of this family and inside the interval."""
        return ip is not None and ip.version == self.version and self.first <= int(ip) <= self.last

    def overlaps(self, other: IPInterval) -> bool:
        """True if both intervals are of one family and share at least one address."""
        return self.version == other.version and self.first <= other.last and other.first <= self.last

    def within(self, network: IPNetwork | None) -> bool:
        """True if every address of the interval is inside `network`."""
        if network is None or network.version != self.version:
            return False
        return int(network.network_address) <= self.first and self.last <= int(network.broadcast_address)

    def __str__(self) -> str:
        if self.text:
            return self.text
        if self.first == self.last:
            return str(self.first_address)
        return f"{self.first_address}-{_addr(self.version, self.last)}"


def _addr(version: int, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def parse_interval(text: object) -> IPInterval | None:
    """Parse an IP, an `a-b` range or a CIDR into an interval; None if it is none of these.

    A range must have both ends in one family and `a <= b`; a CIDR covers its whole prefix (host
    bits are masked, as `netipx.IPSetBuilder.AddPrefix` does). Results are cached: fleet-wide rules
    parse the same addresses many times.
    """
    if not isinstance(text, str):
        return None
    return _parse_interval(text)


@lru_cache(maxsize=65536)
def _parse_interval(text: str) -> IPInterval | None:
    raw = text  # (no stripping: CAPMOX's netipx.ParseIPRange and in-cluster IPAM refuse spaces too)
    try:
        if "-" in raw:
            left, right = (ipaddress.ip_address(p) for p in raw.split("-", 1))
            if left.version != right.version or int(right) < int(left):
                return None
            return IPInterval(left.version, int(left), int(right), raw)
        if "/" in raw:
            net = ipaddress.ip_network(raw, strict=False)
            return IPInterval(net.version, int(net.network_address), int(net.broadcast_address), raw)
        ip = ipaddress.ip_address(raw)
        return IPInterval(ip.version, int(ip), int(ip), raw)
    except ValueError:
        return None


def parse_intervals(entries: Iterable[object]) -> list[IPInterval | None]:
    """`parse_interval` for each entry, in order (None where an entry does not parse)."""
    return [parse_interval(e) for e in entries]


@dataclass(frozen=True)
class PoolCapacity:
    """What an in-cluster IPAM pool can hand out (`allocatable_count`).

    Attributes:
        allocatable: addresses the pool allocates to IPAddressClaims.
        written: the size of the entries' union (IPs, `a-b` ranges, CIDRs; overlaps counted once).
        left_out: the reserved addresses the entries include, which the pool never allocates, in
            words: "the gateway", "the network address", "the broadcast address".
    """

    allocatable: int
    written: int
    left_out: tuple[str, ...] = ()

    def describe(self) -> str:
        """For a message: "9 node addresses", or "9 allocatable node addresses (10 in the range, less
        the gateway)"."""
        if not self.left_out:
            return f"{self.written} node address{'es' if self.written != 1 else ''}"
        less = " and ".join(self.left_out)
        return (f"{self.allocatable} allocatable node address{'es' if self.allocatable != 1 else ''} "
                f"({self.written} in the range, less {less})")


def allocatable_count(entries: Iterable[object], prefix: object, gateway: object) -> PoolCapacity | None:
    """How many addresses an in-cluster IPAM pool can hand out.

    Leaves out what the pool never allocates (`allocateReservedIPAddresses` unset, as CAPMOX creates
    its pools): the gateway, and the network address (IPv4 and IPv6) and broadcast address (IPv4)
    of the pool's subnet (`pool_network`), when the entries include them.

    Source: kubernetes-sigs/cluster-api-ipam-provider-in-cluster v1.0.3
    `internal/poolutil/pool.go` `PoolSpecToIPSet`, and its README ("The `gateway` will never be
    allocated").

    Returns:
        The capacity, or None when an entry does not parse.
    """
    intervals = parse_intervals(entries)
    if any(iv is None for iv in intervals):
        return None
    pool = merge(iv for iv in intervals if iv is not None)
    written = sum(iv.size for iv in pool)
    left_out = reserved_addresses(pool, prefix, gateway)
    allocatable = sum(iv.size for iv in subtract(pool, [iv for _, iv in left_out]))
    return PoolCapacity(allocatable, written, tuple(dict.fromkeys(words for words, _ in left_out)))


def reserved_addresses(pool: Sequence[IPInterval], prefix: object, gateway: object) -> list[tuple[str, IPInterval]]:
    """The addresses of a pool that in-cluster IPAM never allocates (`allocateReservedIPAddresses`
    unset): the gateway, and the subnet's network address (IPv4 and IPv6) and broadcast address
    (IPv4), those of them the pool contains.

    Args:
        pool: the pool's addresses, merged (`merge`), one family.
        prefix: the pool's prefix length (an int; anything else: no subnet, only the gateway).
        gateway: the gateway address as written (a string; unparsable: none).

    Returns:
        (words, the one address as an interval) pairs, e.g. ("the gateway", 10.0.0.1-10.0.0.1).

    Source: kubernetes-sigs/cluster-api-ipam-provider-in-cluster v1.0.3
    `internal/poolutil/pool.go` `PoolSpecToIPSet`.
    """
    reserved: list[tuple[str, int, int]] = []  # (words, family, address)
    gw = parse_ip(gateway)
    if gw is not None:
        reserved.append(("the gateway", gw.version, int(gw)))
    network = pool_network(pool, prefix) if isinstance(prefix, int) and not isinstance(prefix, bool) else None
    if network is not None:
        reserved.append(("the network address", network.version, int(network.network_address)))
        if network.version == 4:
            reserved.append(("the broadcast address", 4, int(network.broadcast_address)))
    return [(words, IPInterval(version, at, at)) for words, version, at in reserved
            if any(iv.version == version and iv.first <= at <= iv.last for iv in pool)]


def pool_network(intervals: Iterable[IPInterval | None], prefix: int) -> IPNetwork | None:
    """The subnet of an IPAM pool: its lowest address with the pool's prefix length.

    The in-cluster IPAM webhook builds the subnet from the first address of the sorted address set
    (`addressesIPSet.Ranges()[0].From()`), i.e. the lowest one, not the first one written.

    Returns:
        The network, or None if no interval parsed, the families are mixed, or the prefix does not
        fit the family.
    """
    parsed = [i for i in intervals if i is not None]
    if not parsed or len({i.version for i in parsed}) != 1:
        return None
    lowest = min(parsed, key=lambda i: i.first)
    try:
        return ipaddress.ip_network((lowest.first_address, prefix), strict=False)
    except ValueError:
        return None


def subtract(base: Iterable[IPInterval], remove: Iterable[IPInterval]) -> list[IPInterval]:
    """Addresses of `base` not covered by `remove`, as merged intervals sorted by family and start."""
    out: list[IPInterval] = []
    cuts = sorted(remove)
    for piece in merge(base):
        parts = [(piece.first, piece.last)]
        for cut in cuts:
            if cut.version != piece.version:
                continue
            nxt = []
            for lo, hi in parts:
                if cut.last < lo or cut.first > hi:
                    nxt.append((lo, hi))
                    continue
                if lo < cut.first:
                    nxt.append((lo, cut.first - 1))
                if cut.last < hi:
                    nxt.append((cut.last + 1, hi))
            parts = nxt
        out.extend(IPInterval(piece.version, lo, hi) for lo, hi in parts)
    return out


def merge(intervals: Iterable[IPInterval]) -> list[IPInterval]:
    """Merge overlapping or adjacent intervals of each family; sorted by family and start."""
    out: list[IPInterval] = []
    for iv in sorted(intervals):
        if out and out[-1].version == iv.version and iv.first <= out[-1].last + 1:
            prev = out[-1]
            out[-1] = IPInterval(prev.version, prev.first, max(prev.last, iv.last))
        else:
            out.append(IPInterval(iv.version, iv.first, iv.last))
    return out
