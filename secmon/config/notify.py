"""The `notify:` section of secmon.yaml: alert routes, rate limits, storm control, retries.

Only the structure is checked here (every problem with file:line:col and
key). Secrets in URLs (`${NAME}`, `file:PATH`) are resolved, and URLs shown
to Apprise, when the alert routes are built (secmon.notify.targets), since
that needs the environment.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..events import CATEGORIES, SEVERITIES, SEVERITY_RANK
from ..i18n import LANGUAGES
from ..rules.schema import did_you_mean, parse_duration, type_name
from ..yamlsrc import YamlList, YamlMap
from .model import (
    DigestSettings,
    NotifySettings,
    RateSettings,
    RetrySettings,
    RouteSettings,
    StormSettings,
    UrlSetting,
)

if TYPE_CHECKING:  # pragma: no cover
    from .loader import _Reader

NOTIFY_KEYS = ("routes", "templates", "timeout", "rate", "storm", "retry")
ROUTE_KEYS = ("name", "urls", "config", "tags", "min_severity", "categories", "rules", "hosts",
              "language", "format", "on_resolve", "digest")
RATE_KEYS = ("per_incident",)
STORM_KEYS = ("max", "within")
RETRY_KEYS = ("attempts", "backoff", "max_backoff")
DIGEST_KEYS = ("hour", "min_severity")
FORMATS = ("text", "markdown", "html")

ROUTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PATTERN = re.compile(r"[A-Za-z0-9_.\-*?:@]{1,255}")
MAX_ATTEMPTS = 100
MAX_STORM = 10_000


def read_notify(read: _Reader, data: YamlMap, base: Path) -> NotifySettings:
    """The `notify:` section (defaults when absent); problems go to `read.problems`."""
    section = read.mapping(data, "notify", "")
    if section is None:
        return NotifySettings()
    problems = read.problems
    read.unknown_keys(section, NOTIFY_KEYS, "notify.")
    defaults = NotifySettings()

    templates = read.string(section, "templates", "notify.")
    timeout = _duration(read, section, "timeout", "notify.", defaults.timeout)

    rate = RateSettings()
    rate_map = read.mapping(section, "rate", "notify.")
    if rate_map is not None:
        read.unknown_keys(rate_map, RATE_KEYS, "notify.rate.")
        rate = RateSettings(
            _duration(read, rate_map, "per_incident", "notify.rate.", rate.per_incident))

    storm = StormSettings()
    storm_map = read.mapping(section, "storm", "notify.")
    if storm_map is not None:
        read.unknown_keys(storm_map, STORM_KEYS, "notify.storm.")
        storm = StormSettings(
            _integer(read, storm_map, "max", "notify.storm.", storm.max, 1, MAX_STORM),
            _duration(read, storm_map, "within", "notify.storm.", storm.within),
        )

    retry = RetrySettings()
    retry_map = read.mapping(section, "retry", "notify.")
    if retry_map is not None:
        read.unknown_keys(retry_map, RETRY_KEYS, "notify.retry.")
        retry = RetrySettings(
            _integer(read, retry_map, "attempts", "notify.retry.", retry.attempts, 1,
                     MAX_ATTEMPTS),
            _duration(read, retry_map, "backoff", "notify.retry.", retry.backoff),
            _duration(read, retry_map, "max_backoff", "notify.retry.", retry.max_backoff),
        )
        if retry.max_backoff < retry.backoff:
            problems.add(retry_map.value_at("max_backoff"),
                         "'notify.retry.max_backoff' must not be shorter than "
                         "'notify.retry.backoff'")

    routes: list[RouteSettings] = []
    raw_routes = section.get("routes")
    if raw_routes is None:
        problems.add(section.location,
                     "'notify' needs 'routes': a list of alert routes, each with a name and "
                     "Apprise urls")
    elif not isinstance(raw_routes, YamlList) or not raw_routes:
        problems.add(section.value_at("routes"),
                     "'notify.routes' must be a non-empty list of routes")
    else:
        seen: dict[str, int] = {}
        for index, item in enumerate(raw_routes):
            route = _route(read, item, raw_routes.item_at(index), f"notify.routes[{index}].",
                           base)
            if route is None:
                continue
            if route.name in seen:
                problems.add(route.location,
                             f"route name '{route.name}' is used twice (first at "
                             f"notify.routes[{seen[route.name]}]); give each route its own name")
                continue
            seen[route.name] = index
            routes.append(route)

    return NotifySettings(
        routes=tuple(routes),
        templates=_resolve(base, templates) if templates else None,
        timeout=timeout,
        rate=rate,
        storm=storm,
        retry=retry,
    )


def _route(read: _Reader, item: Any, at: Any, where: str, base: Path) -> RouteSettings | None:
    problems = read.problems
    if not isinstance(item, YamlMap):
        problems.add(at, f"'{where[:-1]}' must be a mapping with name and urls, "
                         f"not {type_name(item)}")
        return None
    read.unknown_keys(item, ROUTE_KEYS, where)
    name = read.string(item, "name", where)
    named = name is not None and ROUTE_NAME.fullmatch(name) is not None
    if name is None and "name" not in item:
        problems.add(item.location, f"'{where}name' is required: a short name for the route")
    elif name is not None and not named:
        problems.add(item.value_at("name"),
                     f"'{where}name' must be letters, digits, '.', '_' or '-' (at most 64), "
                     f"not '{name}'")
    name = name if named and name is not None else where[:-1]

    urls = _urls(read, item, where, base)
    config = read.string(item, "config", where)
    if ("urls" in item) == ("config" in item):
        problems.add(item.location,
                     f"route '{name}' needs exactly one of 'urls' (Apprise URLs) or 'config' "
                     "(an Apprise config file)")
    tags = read.strings(item, "tags", where)
    if tags and "config" not in item:
        problems.add(item.key_at("tags"),
                     f"'{where}tags' selects URLs of an Apprise config file; use it with "
                     "'config', or list only the wanted URLs in 'urls'")

    min_severity = _choice(read, item, "min_severity", where, SEVERITIES, "medium")
    categories = read.strings(item, "categories", where)
    for index, category in enumerate(categories):
        if category not in CATEGORIES:
            problems.add(item["categories"].item_at(index),
                         f"unknown category '{category}'{did_you_mean(category, CATEGORIES)}; "
                         f"use one of {', '.join(CATEGORIES)}")
    rules = _patterns(read, item, "rules", where)
    hosts = _patterns(read, item, "hosts", where)
    language = _choice(read, item, "language", where, LANGUAGES, "vi")
    fmt = _choice(read, item, "format", where, FORMATS, "text")
    on_resolve = False
    if "on_resolve" in item:
        if isinstance(item["on_resolve"], bool):
            on_resolve = item["on_resolve"]
        else:
            problems.add(item.value_at("on_resolve"), f"'{where}on_resolve' must be true or false")

    digest = None
    digest_map = read.mapping(item, "digest", where)
    if digest_map is not None:
        read.unknown_keys(digest_map, DIGEST_KEYS, f"{where}digest.")
        hour = _integer(read, digest_map, "hour", f"{where}digest.", 8, 0, 23)
        floor = _choice(read, digest_map, "min_severity", f"{where}digest.", SEVERITIES, "low")
        if SEVERITY_RANK[floor] >= SEVERITY_RANK[min_severity]:
            problems.add(digest_map.value_at("min_severity") if "min_severity" in digest_map
                         else digest_map.location,
                         f"'{where}digest.min_severity' ({floor}) must be below the route's "
                         f"min_severity ({min_severity}): the digest lists the incidents too "
                         "minor to alert on one by one")
        digest = DigestSettings(hour, floor)

    if not named:
        return None
    return RouteSettings(
        name=name,
        location=item.location,
        urls=urls,
        config=_resolve(base, config) if config else None,
        tags=tags,
        min_severity=min_severity,
        categories=categories,
        rules=rules,
        hosts=hosts,
        language=language,
        format=fmt,
        on_resolve=on_resolve,
        digest=digest,
    )


def _urls(read: _Reader, item: YamlMap, where: str, base: Path) -> tuple[UrlSetting, ...]:
    value = item.get("urls")
    if value is None:
        return ()
    if not isinstance(value, YamlList) or not value:
        read.problems.add(item.value_at("urls"), f"'{where}urls' must be a non-empty list of "
                                                 "Apprise URLs")
        return ()
    found: list[UrlSetting] = []
    for index, text in enumerate(value):
        at = value.item_at(index)
        label = f"'{where}urls[{index}]'"
        if not isinstance(text, str) or not text.strip():
            read.problems.add(at, f"{label} must be an Apprise URL (text), not {type_name(text)}")
            continue
        text = text.strip()
        if text.startswith("file:"):
            path = text[len("file:"):].strip()
            if not path:
                read.problems.add(at, f"{label}: 'file:' needs the path of a file holding "
                                      "the URL, like file:/etc/secmon/telegram.url")
                continue
            found.append(UrlSetting(text, at, _resolve(base, path)))
            continue
        problem = placeholder_problem(text)
        if problem:
            read.problems.add(at, f"{label}: {problem}")
            continue
        if "://" not in text:
            read.problems.add(at, f"{label} is not an Apprise URL like tgram://TOKEN/CHAT_ID or "
                                  "mailto://user:pass@host; use file:PATH to read it from a file")
            continue
        found.append(UrlSetting(text, at))
    return tuple(found)


def placeholder_problem(text: str) -> str | None:
    """What is wrong with the `${NAME}` placeholders of `text`, or None."""
    for match in PLACEHOLDER.finditer(text):
        if not ENV_NAME.fullmatch(match.group(1)):
            return (f"'${{{match.group(1)}}}' is not an environment variable name "
                    "(letters, digits and '_')")
    if "${" in PLACEHOLDER.sub("", text):
        return "'${' without its closing '}': write secrets as ${ENV_NAME}"
    return None


def _patterns(read: _Reader, item: YamlMap, key: str, where: str) -> tuple[str, ...]:
    values = read.strings(item, key, where)
    for index, value in enumerate(values):
        if not PATTERN.fullmatch(value):
            read.problems.add(item[key].item_at(index),
                              f"'{where}{key}' entry '{value}' must be a name or a pattern "
                              "with * and ? (letters, digits, . _ - : @)")
    return values


def _choice(read: _Reader, data: YamlMap, key: str, where: str, choices: tuple[str, ...],
            default: str) -> str:
    value = data.get(key)
    if value is None:
        return default
    if value not in choices:
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        read.problems.add(data.value_at(key),
                          f"'{where}{key}' must be one of {', '.join(choices)}, "
                          f"not '{value}'{hint}")
        return default
    return str(value)


def _integer(read: _Reader, data: YamlMap, key: str, where: str, default: int, low: int,
             high: int) -> int:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        read.problems.add(data.value_at(key),
                          f"'{where}{key}' must be a whole number from {low} to {high}, "
                          f"not {value!r}")
        return default
    return value


def _duration(read: _Reader, data: YamlMap, key: str, where: str,
              default: timedelta) -> timedelta:
    if key not in data:
        return default
    try:
        return parse_duration(data[key])
    except ValueError as exc:
        read.problems.add(data.value_at(key), f"'{where}{key}': {exc}")
        return default


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else base / candidate
