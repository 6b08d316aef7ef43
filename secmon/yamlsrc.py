"""The only module that imports yaml: a strict, safe loader keeping file:line:col.

Mappings load as `YamlMap` and sequences as `YamlList`; both remember where
they and each of their entries start, so loaders can report problems at the
exact place. Duplicate keys are errors. Scalars load as plain Python values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Location, Problem


class YamlMap(dict):
    """A dict that knows where it and each key and value sit in the file."""

    location: Location
    key_locations: dict[Any, Location]
    value_locations: dict[Any, Location]

    def key_at(self, key: Any) -> Location:
        return self.key_locations.get(key, self.location)

    def value_at(self, key: Any) -> Location:
        return self.value_locations.get(key, self.key_at(key))


class YamlList(list):
    location: Location
    item_locations: list[Location]

    def item_at(self, index: int) -> Location:
        if 0 <= index < len(self.item_locations):
            return self.item_locations[index]
        return self.location


def location_of(value: Any, default: Location) -> Location:
    return getattr(value, "location", default)


def _mark_location(path: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


# The C parser (libyaml) when available: same marks, about 5x faster.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    source_path = "<string>"

    def construct_yaml_map(self, node: yaml.MappingNode):  # type: ignore[override]
        data = YamlMap()
        data.location = _mark_location(self.source_path, node.start_mark)
        data.key_locations = {}
        data.value_locations = {}
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if key in data:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            data[key] = self.construct_object(value_node, deep=True)
            data.key_locations[key] = _mark_location(self.source_path, key_node.start_mark)
            data.value_locations[key] = _mark_location(self.source_path, value_node.start_mark)

    def construct_yaml_seq(self, node: yaml.SequenceNode):  # type: ignore[override]
        data = YamlList()
        data.location = _mark_location(self.source_path, node.start_mark)
        data.item_locations = [
            _mark_location(self.source_path, child.start_mark) for child in node.value
        ]
        yield data
        data.extend(self.construct_object(child, deep=True) for child in node.value)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_yaml_map)
_StrictLoader.add_constructor("tag:yaml.org,2002:seq", _StrictLoader.construct_yaml_seq)


def load_yaml_text(text: str, path: str) -> Any:
    """Parse YAML text strictly; raise InputError naming path:line:col."""
    loader_class = type("_Loader", (_StrictLoader,), {"source_path": path})
    try:
        return yaml.load(text, Loader=loader_class)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or str(exc)
        if exc.context and exc.problem:
            message = f"{exc.context}, {exc.problem}" if "duplicate" not in exc.problem else exc.problem
        raise InputError([Problem(_mark_location(path, mark), f"invalid YAML: {message}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(Location(path), f"invalid YAML: {exc}")]) from None


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file; unreadable or invalid files raise InputError."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(Location(name), f"not UTF-8 text: {exc.reason}")]) from None
    except OSError as exc:
        raise InputError([Problem(Location(name), f"cannot read file: {exc.strerror}")]) from None
    return load_yaml_text(text, name)
