"""YAML loading guards and positions, and the deterministic dump."""

from __future__ import annotations

import pytest
import yaml

from fleetgen.yamlio import MAX_EXPANDED_NODES, YamlLoadError, dump_documents, load_yaml


def _error(raw: bytes) -> tuple[str, int, int]:
    with pytest.raises(YamlLoadError) as info:
        load_yaml(raw, "clusters/a.yaml")
    f = info.value.finding
    assert f.rule_id == "parse"
    return f.message, f.position.line, f.position.col


def test_load_yaml_nested_fields_positions_are_one_based() -> None:
    doc = load_yaml(b"spec:\n  workers:\n    - name: md-0\n      replicas: 3\n", "a.yaml")[0]
    assert doc.data == {"spec": {"workers": [{"name": "md-0", "replicas": 3}]}}
    pos = doc.source.lookup("/spec/workers/0/replicas")
    assert (pos.file, pos.line, pos.col) == ("a.yaml", 4, 7)


def test_load_yaml_unknown_pointer_falls_back_to_nearest_ancestor() -> None:
    doc = load_yaml(b"a:\n  b: 1\n", "a.yaml")[0]
    assert doc.source.lookup("/a/zzz/0").line == 1


def test_load_yaml_tab_indentation_names_tab_and_line() -> None:
    msg, line, _ = _error(b"spec:\n\treplicas: 3\n")
    assert "tab" in msg and line == 2


def test_load_yaml_duplicate_key_names_key_and_first_line() -> None:
    msg, line, col = _error(b"a: 1\nb: 2\na: 3\n")
    assert msg == "yaml: duplicate key 'a' (first at line 1)"
    assert (line, col) == (3, 1)


def test_load_yaml_alias_bomb_refused_before_expansion() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    prev = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
        prev = name
    msg, line, _ = _error(("\n".join(lines) + "\n").encode())
    assert "alias bomb" in msg and str(MAX_EXPANDED_NODES) in msg
    assert line == 1


def test_load_yaml_small_aliases_allowed() -> None:
    doc = load_yaml(b"a: &x {cpus: 2}\nb: *x\n", "a.yaml")[0]
    assert doc.data == {"a": {"cpus": 2}, "b": {"cpus": 2}}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "empty file: expected a YAML document"),
        (b"# only a comment\n", "empty file: expected a YAML document"),
        (b"\x00\x01\x02", "not a text file (contains NUL bytes)"),
        (b"a: \xff\xfe\n", "not UTF-8 text (invalid byte at offset 3)"),
    ],
    ids=["empty", "comment-only", "binary", "not-utf8"],
)
def test_load_yaml_unreadable_file_one_clear_message(raw: bytes, expected: str) -> None:
    assert _error(raw)[0] == expected


def test_load_yaml_syntax_error_points_at_line() -> None:
    msg, line, _ = _error(b"a: [1, 2\nb: 3\n")
    assert msg.startswith("yaml: ") and line == 2


def test_load_yaml_merge_key_refused() -> None:
    assert "merge keys" in _error(b"a: &a {x: 1}\nb:\n  <<: *a\n")[0]


def test_load_yaml_timestamps_stay_strings() -> None:
    assert load_yaml(b"d: 2026-01-01\n", "a.yaml")[0].data == {"d": "2026-01-01"}


def test_dump_documents_multiline_literal_and_quoted_ambiguous_scalars() -> None:
    text = dump_documents([{"data": {"script": "echo 1\necho 2\n", "n": "123", "b": "true"}}])
    assert text == "---\ndata:\n  script: |\n    echo 1\n    echo 2\n  n: '123'\n  b: 'true'\n"
    assert load_yaml(text.encode(), "x")[0].data == {"data": {"script": "echo 1\necho 2\n", "n": "123", "b": "true"}}


def test_dump_documents_quotes_strings_kubernetes_reads_as_numbers() -> None:
    """go-yaml (what the API server and kubectl read YAML with) takes `1e3`, `0o17` and `1_0` for
    numbers, which PyYAML's YAML 1.1 resolver leaves plain: a label value like that would arrive
    as a number."""
    data = {"a": "1e3", "b": "0o17", "c": "1_0", "d": "-2E+5", "e": "0b101", "f": "v1.33", "g": "0x", "h": "1e", "n": 7}
    text = dump_documents([data])
    assert text == ("---\na: '1e3'\nb: '0o17'\nc: '1_0'\nd: '-2E+5'\ne: '0b101'\nf: v1.33\ng: 0x\nh: 1e\nn: 7\n")
    assert load_yaml(text.encode(), "x.yaml")[0].data == data


def test_load_reads_scalars_as_pyyaml_safe_load_does() -> None:
    """The loader's shortcuts (memoized tags, plain decimal ints, booleans, nulls) change no value:
    YAML 1.1 octal and hex, underscores, big and non-ASCII digits, explicit tags all read as
    `yaml.safe_load` reads them (timestamps excepted: fleetgen keeps them as strings)."""
    text = ("a: 0\nb: 012\nc: 1_000\nd: -3\ne: 99999999999999999999\nf: yes\ng: Off\nh: ~\ni: !!null x\n"
            "j: !!bool TRUE\nk: 0x1f\nl: !!int 7\nm: \u0663\nn: 1.5\no: ''\np: '12'\nq: +7\nr: 0b11\ns: 1:30\n"
            "t: [1, on, null, '', \"no\"]\n")
    assert load_yaml(text.encode(), "x.yaml")[0].data == yaml.safe_load(text)


def test_load_yaml_merge_keys_resolved_only_when_asked_explicit_keys_win() -> None:
    text = ("base: &b {app: web, tier: front}\n"
            "labels:\n  <<: *b\n  tier: back\n"
            "both:\n  <<: [{x: 1}, {x: 2, y: 3}]\n")
    [doc] = load_yaml(text.encode(), "p.yaml", merge_keys=True)
    assert doc.data["labels"] == {"tier": "back", "app": "web"}
    assert doc.data["both"] == {"x": 1, "y": 3}
    assert (doc.source.lookup("/labels/app").line, doc.source.lookup("/labels/tier").line) == (1, 4)
    assert not [p for p in doc.source.positions if "<<" in p]
    with pytest.raises(YamlLoadError) as err:
        load_yaml(text.encode(), "p.yaml")
    assert "merge keys (<<) are not supported in fleetgen files" in err.value.finding.message
    with pytest.raises(YamlLoadError) as err:
        load_yaml(b"a:\n  <<: 3\n", "p.yaml", merge_keys=True)
    assert "a merge key (<<) takes a mapping or a list of mappings" in err.value.finding.message
