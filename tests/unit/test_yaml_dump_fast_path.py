"""The direct YAML writer (`yamlio._fast_emit`) writes exactly libyaml's bytes, or declines.

`dump_documents` writes rendered objects itself when it can and hands everything else to libyaml;
these tests hold it to libyaml's output byte for byte on generated data rich in YAML's special
characters, and check that it does not decline the data fleetgen renders.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetgen import yamlio

REPO = Path(__file__).resolve().parents[2]

#: Characters that change how YAML reads a scalar, plus ordinary ones (a non-ASCII letter and a tab come from _WORDS).
_ALPHABET = "ab z09:-?#,[]{}&*!|>'\"%@`.~/_=+ \n"
_WORDS = ["yes", "no", "on", "off", "true", "null", "~", "123", "0x1F", "0o17", "1e3", "1.10", "-", "---",
          "...", "a: b", "a #b", " lead", "trail ", "", ":", "a:", "-x", "2025-01-01", "1:20", ".inf", "<<", "=", "é", "tab\there"]


def _libyaml(objects: list[Any], *, explicit_start: bool) -> str:
    stream = io.StringIO()
    dumper = yamlio._Dumper(stream, default_flow_style=False, explicit_start=explicit_start, allow_unicode=True,
                            width=1 << 30, sort_keys=False)
    dumper.open()
    for obj in objects:
        dumper.serialize(yamlio._node(obj))
    dumper.close()
    return stream.getvalue()


_strings = st.one_of(st.sampled_from(_WORDS), st.text(alphabet=_ALPHABET, max_size=12),
                     st.lists(st.text(alphabet="ab :#-", max_size=6), min_size=1, max_size=4).map("\n".join),
                     st.lists(st.text(alphabet="ab :#-", max_size=6), min_size=1, max_size=4).map(lambda ls: "\n".join(ls) + "\n"))
_scalars = st.one_of(_strings, st.integers(-(10**12), 10**12), st.booleans())
_keys = st.one_of(st.sampled_from(_WORDS), st.text(alphabet=_ALPHABET, max_size=8))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(_keys, inner, max_size=4)), max_leaves=20)
_documents = st.lists(st.dictionaries(_keys, _values, min_size=1, max_size=5), min_size=1, max_size=3)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents)
def test_fast_writer_matches_libyaml_byte_for_byte(documents: list[dict[str, Any]]) -> None:
    fast = yamlio._fast_emit(documents, explicit_start=True)
    if fast is not None:
        assert fast == _libyaml(documents, explicit_start=True)
        assert list(yaml.safe_load_all(fast)) == [_plain(d) for d in documents]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _values, min_size=1, max_size=5))
def test_fast_writer_single_document_matches_libyaml(document: dict[str, Any]) -> None:
    fast = yamlio._fast_emit([document], explicit_start=False)
    if fast is not None:
        assert fast == _libyaml([document], explicit_start=False)


def _plain(value: Any) -> Any:
    """What YAML reads back for `value` (tuples come back as lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("value", [
    {"a": "plain", "b": "yes", "c": "123", "d": "", "e": "it's", "f": "a: b", "g": "x\ny\n", "h": "x\n\ny",
     "i": [], "j": {}, "k": [{"l": 1, "m": [True, "n"]}, "o\np"], "p": "quay.io/capk/ubuntu:v1.33.1"},
])
def test_fast_writer_handles_kubernetes_shapes(value: dict[str, Any]) -> None:
    fast = yamlio._fast_emit([value], explicit_start=True)
    assert fast is not None
    assert fast == _libyaml([value], explicit_start=True)


@pytest.mark.parametrize("value", [
    {"a": 1.5}, {"a": None}, {"a": [[1]]}, {"a": "é"}, {"a": "tab\there"}, {"a": "\nleading break"},
    {"a": "two breaks\n\n"}, {"k" * 128: 1}, {"a": "space \nbreak"},
])
def test_fast_writer_declines_what_libyaml_must_write(value: dict[str, Any]) -> None:
    assert yamlio._fast_emit([value], explicit_start=True) is None
    if None not in value.values():  # (None is a renderer bug: dump_documents raises TypeError)
        assert yamlio.dump_documents([value]) == _libyaml([value], explicit_start=True)


def test_fast_writer_writes_every_file_of_the_example_fleet() -> None:
    files = sorted((REPO / "fleet").rglob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text()
        documents = list(yaml.safe_load_all(text))
        explicit = text.startswith("---\n")  # (the agent's option files are single documents without `---`)
        fast = yamlio._fast_emit(documents, explicit_start=explicit)
        assert fast is not None, f"{path}: the fast path declined"
        assert fast == _libyaml(documents, explicit_start=explicit) == text, path
