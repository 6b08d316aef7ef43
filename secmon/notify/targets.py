"""Each route's delivery targets, with secrets filled in from the environment or files.

In a route's `urls`, `${NAME}` is replaced by the environment variable
NAME, and an entry `file:PATH` is replaced by the URLs in that file (one
per line; blank lines and lines starting with # are skipped; `${NAME}` works
there too). The values filled in are remembered as secrets and masked in
everything secmon prints or stores (Apprise's url(privacy=True) masks the
rest). Every problem is reported at its place in secmon.yaml, all at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..config.model import NotifySettings, RouteSettings, UrlSetting
from ..config.notify import PLACEHOLDER, placeholder_problem
from ..errors import ProblemCollector
from .apprise_sender import Target, TargetError, config_targets, url_target

SECRET_FILE_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class ResolvedUrl:
    url: str
    secrets: tuple[str, ...]


def fill_placeholders(text: str, env: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """`text` with ${NAME} filled from `env`; KeyError(NAME) when one is not set."""
    secrets: list[str] = []

    def fill(match: object) -> str:
        name = match.group(1)  # type: ignore[attr-defined]
        value = env.get(name)
        if value is None or value == "":
            raise KeyError(name)
        secrets.append(value)
        return value

    return PLACEHOLDER.sub(fill, text), tuple(secrets)


def resolve_url(setting: UrlSetting, env: Mapping[str, str]) -> list[ResolvedUrl]:
    """The URLs an entry stands for; ValueError says what is missing."""
    if setting.file is None:
        lines = [setting.text]
    else:
        lines = _secret_lines(setting.file)
        if not lines:
            raise ValueError(f"secret file {setting.file} holds no URL")
    found = []
    for text in lines:
        problem = placeholder_problem(text)
        if problem:
            raise ValueError(f"in {setting.file}: {problem}")
        try:
            url, secrets = fill_placeholders(text, env)
        except KeyError as missing:
            raise ValueError(
                f"environment variable {missing.args[0]} is not set (or empty); set it for "
                "secmon (e.g. Environment= or EnvironmentFile= in the systemd unit)") from None
        if setting.file is not None:
            secrets = (*secrets, url)  # the whole line came from a secret file
        found.append(ResolvedUrl(url, secrets))
    return found


def _secret_lines(path: Path) -> list[str]:
    try:
        with path.open("rb") as handle:
            data = handle.read(SECRET_FILE_LIMIT + 1)
    except OSError as exc:
        raise ValueError(f"cannot read secret file {path}: {exc.strerror}") from None
    if len(data) > SECRET_FILE_LIMIT:
        raise ValueError(f"secret file {path} is larger than {SECRET_FILE_LIMIT // 1024} KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"secret file {path} is not UTF-8 text") from None
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def route_targets(route: RouteSettings, env: Mapping[str, str],
                  problems: ProblemCollector) -> tuple[Target, ...]:
    """The route's targets; problems (with places) go to `problems`."""
    found: list[Target] = []
    if route.config is not None:
        try:
            found.extend(config_targets(route.config, route.tags))
        except TargetError as exc:
            problems.add(route.location, f"route '{route.name}': {exc}")
    for setting in route.urls:
        try:
            resolved = resolve_url(setting, env)
        except ValueError as exc:
            problems.add(setting.location, f"route '{route.name}': {exc}")
            continue
        for item in resolved:
            try:
                found.append(url_target(item.url, item.secrets))
            except TargetError as exc:
                problems.add(setting.location, f"route '{route.name}': {exc}")
    unique: dict[str, Target] = {}
    for target in found:
        unique.setdefault(target.key, target)
    return tuple(unique.values())


def build_targets(settings: NotifySettings, env: Mapping[str, str],
                  only: str | None = None) -> dict[str, tuple[Target, ...]]:
    """Targets of every route (or of route `only`); InputError listing every problem."""
    problems = ProblemCollector()
    targets = {
        route.name: route_targets(route, env, problems)
        for route in settings.routes
        if only is None or route.name == only
    }
    problems.raise_if_any()
    return targets
