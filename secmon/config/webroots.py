"""The `web_roots:` section of secmon.yaml: the folders the web-root watch compares.

    web_roots:
    - /var/www/html                       # a path alone: default settings
    - path: /var/www/egov
      ignore: [cache/**, uploads/**/thumbs/**, "*.log"]
      upload_dirs: [uploads, files, images, tmp]

`ignore` holds glob patterns relative to the root (like .gitignore lines:
without '/' they match a name at any depth; `**` crosses folders).
`upload_dirs` names the folders where runnable files never belong; the
default list (uploads, upload, files, images, img, media, tmp, temp,
userfiles, attachments) is used when it is left out. A relative path is
relative to the config file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Location
from ..sources.webroot import DEFAULT_UPLOAD_DIRS
from ..sources.webroot_scan import IgnoreError, IgnoreMatcher
from ..yamlsrc import YamlList, YamlMap

if TYPE_CHECKING:  # pragma: no cover
    from .loader import _Reader

WEB_ROOT_KEYS = ("path", "ignore", "upload_dirs")


@dataclass(frozen=True, slots=True)
class WebRootSettings:
    path: Path
    location: Location
    ignore: tuple[str, ...] = ()
    upload_dirs: tuple[str, ...] = DEFAULT_UPLOAD_DIRS


def read_web_roots(read: _Reader, data: YamlMap, base: Path) -> tuple[WebRootSettings, ...]:
    raw = data.get("web_roots")
    if raw is None:
        return ()
    problems = read.problems
    if not isinstance(raw, YamlList):
        problems.add(
            data.value_at("web_roots"),
            "'web_roots' must be a list of folders (a path, or {path, ignore, upload_dirs})",
        )
        return ()
    out: list[WebRootSettings] = []
    seen: dict[Path, Location] = {}
    for index, item in enumerate(raw):
        where = f"web_roots[{index}]."
        at = raw.item_at(index)
        if isinstance(item, str):
            item_map: YamlMap | None = None
            text: str | None = item if item.strip() else None
            if text is None:
                problems.add(at, f"'web_roots[{index}]' must be a non-empty path")
        elif isinstance(item, YamlMap):
            item_map = item
            read.unknown_keys(item, WEB_ROOT_KEYS, where)
            text = read.string(item, "path", where)
            if text is None and "path" not in item:
                problems.add(item.location, f"'{where}path' is required: the web root folder")
        else:
            problems.add(at, f"'web_roots[{index}]' must be a path or a mapping with 'path'")
            continue
        ignore: tuple[str, ...] = ()
        upload_dirs = DEFAULT_UPLOAD_DIRS
        if item_map is not None:
            ignore = _ignore(read, item_map, where)
            if "upload_dirs" in item_map:
                upload_dirs = _upload_dirs(read, item_map, where)
        if text is None:
            continue
        path = _resolve(base, text)
        if path in seen:
            problems.add(at, f"web root {path} is listed twice (first at line {seen[path].line})")
            continue
        seen[path] = at
        out.append(WebRootSettings(path, at, ignore, upload_dirs))
    return tuple(out)


def _ignore(read: _Reader, item: YamlMap, where: str) -> tuple[str, ...]:
    patterns = read.strings(item, "ignore", where)
    good: list[str] = []
    for index, pattern in enumerate(patterns):
        try:
            IgnoreMatcher([pattern])
        except IgnoreError as exc:
            read.problems.add(item["ignore"].item_at(index), f"'{where}ignore': {exc}")
            continue
        good.append(pattern)
    return tuple(good)


def _upload_dirs(read: _Reader, item: YamlMap, where: str) -> tuple[str, ...]:
    names = read.strings(item, "upload_dirs", where)
    for index, name in enumerate(names):
        if not name.strip() or "/" in name:
            read.problems.add(
                item["upload_dirs"].item_at(index),
                f"'{where}upload_dirs' entry '{name}' must be a folder name "
                "without '/', like uploads",
            )
    return tuple(n for n in names if n.strip() and "/" not in n)


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else base / candidate
