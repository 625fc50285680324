"""IP parsing and subnet helpers."""

from __future__ import annotations

import ipaddress

import pytest

from fleetgen.policy.ipnet import (
    IPInterval,
    allocatable_count,
    merge,
    parse_cidr,
    parse_interval,
    parse_ip,
    pool_network,
    subtract,
)


@pytest.mark.parametrize(("text", "first", "last", "version"), [
    ("10.0.0.5", "10.0.0.5", "10.0.0.5", 4),
    ("10.0.0.5-10.0.0.9", "10.0.0.5", "10.0.0.9", 4),
    ("10.0.0.7/30", "10.0.0.4", "10.0.0.7", 4),
    ("2001:db8::1-2001:db8::ff", "2001:db8::1", "2001:db8::ff", 6),
    ("2001:db8::/126", "2001:db8::", "2001:db8::3", 6),
], ids=["ip", "range", "cidr-host-bits", "ipv6-range", "ipv6-cidr"])
def test_parse_interval_valid_notations_give_inclusive_bounds(text: str, first: str, last: str, version: int) -> None:
    iv = parse_interval(text)
    assert iv is not None
    assert (iv.first, iv.last, iv.version) == (int(ipaddress.ip_address(first)), int(ipaddress.ip_address(last)), version)
    assert str(iv) == text


@pytest.mark.parametrize("text", ["10.0.0.9-10.0.0.5", "10.0.0.1-2001:db8::1", "10.0.0.0/33", "host", "", None, 5,
                                  " 10.0.0.5 - 10.0.0.9 ", "10.0.0.5 "],
                         ids=["reversed", "mixed", "bad-prefix", "name", "empty", "none", "int", "range-spaces",
                              "trailing-space"])
def test_parse_interval_invalid_notation_returns_none(text: object) -> None:
    assert parse_interval(text) is None


def test_interval_ipv6_first_address_keeps_family() -> None:
    iv = parse_interval("::5")
    assert iv is not None and iv.first_address == ipaddress.IPv6Address("::5")
    assert str(IPInterval(6, 5, 9)) == "::5-::9"


def test_interval_contains_overlaps_within_respect_family() -> None:
    v4 = parse_interval("10.0.0.0/24")
    v6 = parse_interval("::a00:0/120")  # same integers, other family
    assert v4 is not None and v6 is not None
    assert v4.contains(parse_ip("10.0.0.5")) and not v6.contains(parse_ip("10.0.0.5"))
    assert not v4.overlaps(v6)
    assert v4.within(ipaddress.ip_network("10.0.0.0/16")) and not v4.within(ipaddress.ip_network("::/0"))


def test_pool_network_uses_lowest_address_not_first_written() -> None:
    intervals = [parse_interval("10.0.1.10-10.0.1.20"), parse_interval("10.0.0.200")]
    assert str(pool_network(intervals, 24)) == "10.0.0.0/24"


def test_pool_network_mixed_families_or_bad_prefix_is_none() -> None:
    assert pool_network([parse_interval("10.0.0.1"), parse_interval("::1")], 24) is None
    assert pool_network([parse_interval("10.0.0.1")], 64) is None
    assert pool_network([None], 24) is None


def test_subtract_returns_removed_pieces() -> None:
    base = [parse_interval("10.0.0.10-10.0.0.20")]
    keep = [parse_interval("10.0.0.12-10.0.0.14"), parse_interval("10.0.0.18")]
    assert [str(iv) for iv in subtract(base, keep)] == ["10.0.0.10-10.0.0.11", "10.0.0.15-10.0.0.17", "10.0.0.19-10.0.0.20"]
    assert subtract(base, [parse_interval("10.0.0.0/24")]) == []


def test_merge_joins_adjacent_and_overlapping() -> None:
    merged = merge([parse_interval("10.0.0.5-10.0.0.9"), parse_interval("10.0.0.10"), parse_interval("10.0.0.1-10.0.0.6")])
    assert [str(iv) for iv in merged] == ["10.0.0.1-10.0.0.10"]


def test_parse_cidr_requires_slash_and_allows_host_bits() -> None:
    assert str(parse_cidr("10.1.2.3/16")) == "10.1.0.0/16"
    assert parse_cidr("10.1.2.3") is None
    assert parse_cidr("10.1.2.3/40") is None


@pytest.mark.parametrize(("entries", "prefix", "gateway", "counts"), [
    (["10.10.10.10-10.10.10.20"], 24, "10.10.10.1", (11, 11)),
    (["10.10.10.1-10.10.10.20"], 24, "10.10.10.1", (19, 20)),           # the gateway
    (["10.10.10.0-10.10.10.2"], 24, "10.10.10.1", (1, 3)),              # network address and gateway
    (["10.10.10.250-10.10.10.255"], 24, "10.10.10.1", (5, 6)),          # broadcast address
    (["10.10.10.0/24"], 24, "10.10.10.1", (253, 256)),
    (["10.10.10.10-10.10.10.12", "10.10.10.11"], 24, "10.10.10.1", (3, 3)),  # overlaps counted once
    (["fd00::-fd00::3"], 64, "fd00::1", (2, 4)),                        # IPv6: the first address and the gateway
    (["10.10.10.10", "nonsense"], 24, "10.10.10.1", None),
], ids=["outside", "gateway", "network", "broadcast", "cidr", "overlap", "ipv6", "unparsable"])
def test_allocatable_count_leaves_out_what_the_in_cluster_ipam_pool_never_allocates(
        entries: list[str], prefix: int, gateway: str, counts: tuple[int, int] | None) -> None:
    """Mirrors cluster-api-ipam-provider-in-cluster v1.0.3 `PoolSpecToIPSet` (allocateReservedIPAddresses unset)."""
    capacity = allocatable_count(entries, prefix, gateway)
    if counts is None:
        assert capacity is None
    else:
        assert capacity is not None and (capacity.allocatable, capacity.written) == counts


def test_pool_capacity_names_only_the_reserved_addresses_the_range_includes() -> None:
    assert allocatable_count(["10.10.10.10-10.10.10.20"], 24, "10.10.10.1").describe() == "11 node addresses"
    assert allocatable_count(["10.10.10.1-10.10.10.20"], 24, "10.10.10.1").describe() == (
        "19 allocatable node addresses (20 in the range, less the gateway)")
    assert allocatable_count(["10.10.10.0-10.10.10.2"], 24, "10.10.10.1").describe() == (
        "1 allocatable node address (3 in the range, less the gateway and the network address)")
