"""Everything one config file gives the daemon, loaded and checked in one go.

`prepare(runtime)` loads the rules, the playbooks (and the reporting
regime's step deadlines) and resolves the alert routes' secrets; every
problem of every part is collected and raised together as one InputError,
so `secmon config check`, the start of `secmon run` and a reload on SIGHUP
refuse a broken config with the same complete list.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..builtin import builtin_dir
from ..errors import InputError, Location, Problem, SecmonError
from ..incidents.checklists import ChecklistPlanner
from ..playbooks import PlaybookSet, load_playbooks
from ..playbooks.checklist import checklist_planner
from ..rules.model import RuleSet
from ..runtime import Runtime


@dataclass(frozen=True)
class DaemonSetup:
    runtime: Runtime
    ruleset: RuleSet
    playbooks: PlaybookSet | None = None
    planner: ChecklistPlanner | None = None
    playbook_titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    alert_routes: int = 0


def prepare(runtime: Runtime) -> DaemonSetup:
    """Load and check what the config names; InputError with every problem found."""
    problems: list[Problem] = []
    where = Location(str(runtime.settings.path or "secmon.yaml"))

    def collect(exc: Exception) -> None:
        if isinstance(exc, InputError):
            problems.extend(exc.problems)
        else:
            problems.append(Problem(where, str(exc)))

    ruleset: RuleSet | None = None
    try:
        ruleset = runtime.load_rules()
    except (InputError, SecmonError, OSError) as exc:
        collect(exc)

    playbooks: PlaybookSet | None = None
    planner: ChecklistPlanner | None = None
    settings = runtime.settings
    try:
        paths = [builtin_dir("playbooks")] if settings.playbooks.builtin else []
        paths += list(settings.playbooks.dirs)
        if paths:
            playbooks = load_playbooks(paths)
            from ..reports.regime_loader import load_regime

            deadlines = load_regime(settings.reporting.regime).step_deadlines()
            planner = checklist_planner(playbooks, deadlines)
    except (InputError, SecmonError, OSError) as exc:
        collect(exc)

    routes = 0
    if settings.notify.routes:
        from ..notify.targets import build_targets

        try:
            build_targets(settings.notify, runtime.env)
            routes = len(settings.notify.routes)
        except (InputError, SecmonError) as exc:
            collect(exc)

    if problems or ruleset is None:
        raise InputError(problems)
    titles: dict[str, Mapping[str, str]] = {}
    if playbooks is not None:
        titles = {
            pid: {"vi": book.title.vi, "en": book.title.en}
            for pid, book in playbooks.playbooks.items()
        }
    return DaemonSetup(runtime, ruleset, playbooks, planner, titles, routes)


def unmatched_files(runtime: Runtime) -> list[tuple[Location, str]]:
    """(where in the config, path or glob) of each file entry matching nothing right now."""
    found: list[tuple[Location, str]] = []
    for spec in runtime.settings.inputs.files:
        if any(ch in spec.path for ch in "*?["):
            matched = bool(glob.glob(spec.path))
        else:
            matched = os.path.exists(spec.path)
        if not matched:
            found.append((spec.location, spec.path))
    return found
