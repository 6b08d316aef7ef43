from __future__ import annotations

import pytest

from secmon.errors import InputError, Location
from secmon.yamlsrc import YamlList, YamlMap, load_yaml_file, load_yaml_text


def test_mappings_and_lists_remember_their_places():
    data = load_yaml_text("version: 1\nrules:\n- id: a\n  x: {b: 1}\n", "r.yaml")
    assert data == {"version": 1, "rules": [{"id": "a", "x": {"b": 1}}]}
    assert isinstance(data, YamlMap) and isinstance(data["rules"], YamlList)
    assert data["rules"].item_at(0) == Location("r.yaml", 3, 3)
    rule = data["rules"][0]
    assert rule.key_at("x") == Location("r.yaml", 4, 3)
    assert rule.value_at("x") == Location("r.yaml", 4, 6)
    assert rule.key_at("missing") == rule.location


def test_duplicate_keys_are_refused_with_their_place():
    with pytest.raises(InputError) as err:
        load_yaml_text("a: 1\nb:\n  c: 1\n  c: 2\n", "dup.yaml")
    assert str(err.value) == "dup.yaml:4:3: invalid YAML: duplicate key 'c'"


def test_syntax_errors_name_the_place():
    with pytest.raises(InputError) as err:
        load_yaml_text("a: [1\n", "bad.yaml")
    assert str(err.value).startswith("bad.yaml:2:1: invalid YAML:")


def test_unsafe_tags_are_refused():
    with pytest.raises(InputError):
        load_yaml_text("a: !!python/object/apply:os.system ['true']\n", "evil.yaml")


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(InputError) as err:
        load_yaml_file(tmp_path / "nope.yaml")
    assert "cannot read file" in str(err.value)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(InputError) as err:
        load_yaml_file(latin)
    assert "not UTF-8 text" in str(err.value)
