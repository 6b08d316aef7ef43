"""Read one rule mapping (and its tests, allowlist, stateful parameters).

Problems go to the Reader at file:line:col with the rule id as subject;
a rule with any problem comes back as None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Location
from ..events import CATEGORIES, SEVERITIES
from ..yamlsrc import YamlList, YamlMap
from .allowlist import Allowlist, parse_network
from .conditions import ConditionReader, to_text
from .model import (
    KNOWN_PARSERS,
    STATEFUL_KINDS,
    Absence,
    Distinct,
    MatchSpec,
    Rule,
    RuleTest,
    Sequence,
    StatefulSpec,
    Threshold,
)
from .regex import LinearRegex, PatternError
from .schema import RULE_ID, Reader, did_you_mean, type_name

RULE_KEYS: tuple[str, ...] = (
    "id",
    "title",
    "description",
    "category",
    "severity",
    "tags",
    "parser",
    "where",
    "match",
    "key",
    "building_block",
    "allowlist",
    "incident",
    "enabled",
    "tests",
    "from",
    "threshold",
    "distinct",
    "sequence",
    "absence",
)
STATELESS_KEYS: tuple[str, ...] = ("parser", "where", "match", "key")
# Parameters of each stateful kind: (key, required, reader method); first/then only in rules.
PARAMS: dict[str, tuple[tuple[str, bool, str], ...]] = {
    "threshold": (("count", True, "count"), ("within", True, "duration"), ("by", False, "names")),
    "distinct": (
        ("field", True, "text"),
        ("count", True, "count"),
        ("within", True, "duration"),
        ("by", False, "names"),
    ),
    "sequence": (
        ("first", True, "text"),
        ("then", True, "text"),
        ("min_count", False, "count"),
        ("within", True, "duration"),
        ("by", False, "names"),
    ),
    "absence": (("within", True, "duration"), ("by", False, "names")),
}
SPEC_TYPES: dict[str, type] = {
    "threshold": Threshold,
    "distinct": Distinct,
    "sequence": Sequence,
    "absence": Absence,
}
OVERRIDABLE: dict[str, tuple[str, ...]] = {
    kind: tuple(k for k, _, _ in params if k not in ("first", "then"))
    for kind, params in PARAMS.items()
}
STATELESS_TEST_KEYS = ("line", "match", "fields", "parser")
STATEFUL_TEST_KEYS = ("lines", "repeat", "detect", "key", "parser")
ALLOWLIST_KEYS = ("cidrs", "users", "paths")


@dataclass(frozen=True, slots=True)
class ReadRule:
    rule_id: str | None  # None when the id itself is missing or malformed
    rule: Rule | None  # None when the rule has problems
    references: dict[str, Location]  # referenced rule id -> where it is named


def choice(reader: Reader, mapping: YamlMap, key: str, allowed: tuple[str, ...]) -> str | None:
    value = mapping.get(key)
    if isinstance(value, str) and value in allowed:
        return value
    shown = value if isinstance(value, str) else type_name(value)
    reader.add(
        mapping.value_at(key),
        f"unknown {key} '{shown}'{did_you_mean(str(value), allowed)}; "
        f"allowed: {', '.join(allowed)}",
    )
    return None


def read_allowlist(reader: Reader, value: Any, at: Location) -> Allowlist | None:
    mapping = reader.mapping(value, at, "'allowlist'")
    if mapping is None:
        return None
    reader.unknown_keys(mapping, ALLOWLIST_KEYS, "'allowlist'")
    parts: dict[str, tuple[str, ...]] = {}
    ok = True
    for key in ALLOWLIST_KEYS:
        if key in mapping:
            names = reader.names(mapping, key, single_ok=False)
            ok = ok and names is not None
            parts[key] = names or ()
    networks = []
    for index, text in enumerate(parts.get("cidrs", ())):
        try:
            networks.append(parse_network(text))
        except ValueError as exc:
            reader.add(mapping["cidrs"].item_at(index), f"'cidrs': {exc}")
            ok = False
    if not ok or any(key not in ALLOWLIST_KEYS for key in mapping):
        return None
    return Allowlist(tuple(networks), frozenset(parts.get("users", ())), parts.get("paths", ()))


def read_params(
    reader: Reader, kind: str, value: Any, at: Location, *, partial: bool
) -> dict[str, Any] | None:
    """The parameters of a stateful part; `partial` (overrides) makes all optional."""
    mapping = reader.mapping(value, at, f"'{kind}'")
    if mapping is None:
        return None
    allowed = OVERRIDABLE[kind] if partial else tuple(k for k, _, _ in PARAMS[kind])
    reader.unknown_keys(mapping, allowed, f"'{kind}'")
    ok = all(key in allowed for key in mapping)
    params: dict[str, Any] = {}
    for key, required, method in PARAMS[kind]:
        if key not in allowed:
            continue
        if key not in mapping:
            if required and not partial:
                reader.add(mapping.location, f"'{kind}' is missing required key '{key}'")
                ok = False
            continue
        if method == "names":
            found: Any = reader.names(mapping, key)
        else:
            found = getattr(reader, method)(mapping, key)
        if found is None:
            ok = False
        params[key] = found
    return params if ok else None


def read_match(reader: Reader, value: Any, at: Location) -> MatchSpec | None:
    field, pattern, pattern_at = "message", value, at
    if isinstance(value, YamlMap):
        reader.unknown_keys(value, ("field", "pattern"), "'match'")
        if not reader.required(value, "pattern", "'match'"):
            return None
        pattern, pattern_at = value["pattern"], value.value_at("pattern")
        if "field" in value:
            field = reader.text(value, "field")  # type: ignore[assignment]
            if field is None:
                return None
    if not isinstance(pattern, str) or not pattern:
        reader.add(pattern_at, f"'match' must be a non-empty pattern, not {type_name(pattern)}")
        return None
    try:
        return MatchSpec(field, pattern, LinearRegex(pattern))
    except PatternError as exc:
        reader.add(pattern_at, str(exc))
        return None


def _scalar_map(reader: Reader, test: YamlMap, key: str) -> dict[str, str] | None:
    value = reader.mapping(test.get(key), test.value_at(key), f"'{key}'")
    if value is None:
        return None
    out = {}
    for name, item in value.items():
        if isinstance(item, (YamlMap, YamlList)) or item is None:
            reader.add(value.value_at(name), f"'{key}.{name}' must be a plain value")
            return None
        out[str(name)] = str(to_text(item))
    return out


def read_test(reader: Reader, value: Any, at: Location, stateful: bool) -> RuleTest | None:
    test = reader.mapping(value, at, "a test")
    if test is None:
        return None
    allowed, other = (
        (STATEFUL_TEST_KEYS, STATELESS_TEST_KEYS)
        if stateful
        else (STATELESS_TEST_KEYS, STATEFUL_TEST_KEYS)
    )
    ok = True
    for key in test:
        if key in allowed:
            continue
        ok = False
        if key in other:
            kind = "stateful" if key in STATEFUL_TEST_KEYS else "stateless"
            this = ", ".join(allowed)
            reader.add(test.key_at(key), f"'{key}' is for tests of {kind} rules; use: {this}")
        else:
            reader.add(
                test.key_at(key), f"unknown key '{key}' in a test{did_you_mean(key, allowed)}"
            )
    parser = reader.text(test, "parser") if "parser" in test else None
    if parser is not None and parser not in KNOWN_PARSERS:
        choice(reader, test, "parser", KNOWN_PARSERS)
        ok = False
    expect_key = "detect" if stateful else "match"
    expect = reader.boolean(test, expect_key) if expect_key in test else True
    ok = ok and expect is not None and ("parser" not in test or parser is not None)
    checks_key = "key" if stateful else "fields"
    checks = _scalar_map(reader, test, checks_key) if checks_key in test else None
    if checks_key in test and checks is None:
        ok = False
    if checks is not None and expect is False:
        reader.add(
            test.key_at(checks_key),
            f"a test with '{expect_key}: false' cannot check '{checks_key}'",
        )
        ok = False
    line_key = "lines" if stateful else "line"
    if not reader.required(test, line_key, "a test"):
        return None
    if stateful:
        lines = reader.names(test, "lines")
        repeat = reader.count(test, "repeat") if "repeat" in test else 1
        if not ok or lines is None or repeat is None:
            return None
        return RuleTest(
            test.location, bool(expect), lines=lines, repeat=repeat, key=checks, parser=parser
        )
    line = reader.text(test, "line")
    if not ok or line is None:
        return None
    return RuleTest(test.location, bool(expect), line=line, fields=checks or {}, parser=parser)


def read_rule(reader: Reader, mapping: YamlMap) -> ReadRule:
    """The Rule in `mapping` (None after reporting its problems) and what it references."""
    start = len(reader.problems.problems)
    raw_id = mapping.get("id")
    reader.subject = raw_id if isinstance(raw_id, str) else ""
    if not reader.required(mapping, "id", "a rule"):
        rule_id = None
    elif not isinstance(raw_id, str) or not RULE_ID.fullmatch(raw_id):
        shown = raw_id if isinstance(raw_id, str) else type_name(raw_id)
        reader.add(
            mapping.value_at("id"),
            f"rule id '{shown}' must be lowercase letters and digits joined by "
            "'.' or '-' (like ssh.auth-failure)",
        )
        rule_id = None
    else:
        rule_id = raw_id
    reader.unknown_keys(mapping, RULE_KEYS)
    for key in ("title", "category", "severity"):
        reader.required(mapping, key, "the rule")
    title = reader.bilingual(mapping, "title") if "title" in mapping else None
    description = reader.bilingual(mapping, "description") if "description" in mapping else None
    category = choice(reader, mapping, "category", CATEGORIES) if "category" in mapping else None
    severity = choice(reader, mapping, "severity", SEVERITIES) if "severity" in mapping else None
    tags = reader.names(mapping, "tags", single_ok=False) if "tags" in mapping else ()
    parser = None
    if "parser" in mapping:
        parser = choice(reader, mapping, "parser", KNOWN_PARSERS)
    where = (
        ConditionReader(reader).where(mapping["where"], mapping.value_at("where"))
        if "where" in mapping
        else ()
    )
    match = (
        read_match(reader, mapping["match"], mapping.value_at("match"))
        if "match" in mapping
        else None
    )
    group_key = reader.names(mapping, "key") if "key" in mapping else None
    flags = {k: reader.boolean(mapping, k) for k in ("building_block", "enabled") if k in mapping}
    allowlist = (
        read_allowlist(reader, mapping["allowlist"], mapping.value_at("allowlist"))
        if "allowlist" in mapping
        else Allowlist()
    )
    playbook = None
    if "incident" in mapping:
        incident = reader.mapping(mapping["incident"], mapping.value_at("incident"), "'incident'")
        if incident is not None:
            reader.unknown_keys(incident, ("playbook",), "'incident'")
            if "playbook" in incident:
                playbook = reader.text(incident, "playbook")
    sources = reader.names(mapping, "from") if "from" in mapping else ()
    stateful, references = _read_stateful(reader, mapping)
    for index, source in enumerate(sources or ()):
        raw = mapping["from"]
        references.setdefault(
            source, raw.item_at(index) if isinstance(raw, YamlList) else mapping.value_at("from")
        )
    tests = _read_tests(reader, mapping, stateful=any(k in mapping for k in STATEFUL_KINDS))
    if len(reader.problems.problems) > start or rule_id is None:
        return ReadRule(rule_id, None, references)
    assert title is not None and category is not None and severity is not None
    rule = Rule(
        id=rule_id,
        title=title,
        category=category,
        severity=severity,
        location=mapping.location,
        description=description,
        tags=tuple(tags or ()),
        parser=parser,
        where=where,
        match=match,
        key=group_key,
        building_block=bool(flags.get("building_block", False)),
        allowlist=allowlist or Allowlist(),
        playbook=playbook,
        enabled=bool(flags.get("enabled", True)),
        tests=tests,
        sources=tuple(sources or ()),
        stateful=stateful,
    )
    return ReadRule(rule_id, rule, references)


def _read_stateful(reader: Reader, mapping: YamlMap) -> tuple[StatefulSpec | None, dict]:
    kinds = [k for k in STATEFUL_KINDS if k in mapping]
    references: dict[str, Location] = {}
    if not kinds:
        if "from" in mapping:
            reader.add(
                mapping.key_at("from"), "'from' is only for threshold, distinct and absence rules"
            )
        return None, references
    kind = kinds[0]
    if len(kinds) > 1:
        reader.add(
            mapping.key_at(kinds[1]),
            f"a rule can have only one of threshold, distinct, sequence, absence; "
            f"this one has {' and '.join(kinds)}",
        )
    mixed = [k for k in STATELESS_KEYS if k in mapping]
    if mixed:
        reader.add(
            mapping.key_at(mixed[0]),
            f"the rule mixes stateless parts ({', '.join(mixed)}) with a stateful part "
            f"({kind}): put the conditions in a building-block rule and name it in "
            "'from'",
        )
    if kind == "sequence" and "from" in mapping:
        reader.add(
            mapping.key_at("from"),
            "a sequence rule names its rules in 'first' and 'then', not 'from'",
        )
    elif kind != "sequence" and "from" not in mapping:
        reader.add(
            mapping.key_at(kind),
            f"a {kind} rule needs 'from': the id of the rule (or rules) whose matches it counts",
        )
    params = read_params(reader, kind, mapping[kind], mapping.value_at(kind), partial=False)
    if params is None:
        return None, references
    if kind == "sequence":
        spec = mapping[kind]
        for role in ("first", "then"):
            references.setdefault(params[role], spec.value_at(role))
        if params["first"] == params["then"]:
            reader.add(spec.value_at("then"), "'first' and 'then' must name different rules")
    return SPEC_TYPES[kind](**params), references


def _read_tests(reader: Reader, mapping: YamlMap, stateful: bool) -> tuple[RuleTest, ...]:
    if "tests" not in mapping:
        return ()
    tests = mapping["tests"]
    if not isinstance(tests, YamlList):
        reader.add(mapping.value_at("tests"), f"'tests' must be a list, not {type_name(tests)}")
        return ()
    out = []
    for index, item in enumerate(tests):
        test = read_test(reader, item, tests.item_at(index), stateful)
        if test is not None:
            out.append(test)
    return tuple(out)
