"""Resolve what the CLI and daemon need from config, flags and environment.

Settings from a config file, `--lang`, `--db`, `--tz` and the process
environment meet here once; the stages get plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from .builtin import builtin_dir, builtin_rules_dir
from .clock import Clock, parse_timezone, system_timezone
from .config import Settings, load_settings
from .i18n import Translator, choose_language
from .incidents.paths import default_db_path
from .rules.allowlist import Allowlist
from .rules.loader import load_rules
from .rules.model import RuleSet

if TYPE_CHECKING:  # pragma: no cover - loaded on demand: playbooks cost ~1 s to compile
    from .incidents.checklists import ChecklistPlanner
    from .playbooks.model import PlaybookSet
    from .reports.regime import Regime

CONFIG_ENV = "SECMON_CONFIG"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    lang: str
    tz: tzinfo
    db_path: Path
    clock: Clock
    env: Mapping[str, str]

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    def rule_paths(self, extra: Sequence[Path] = (), builtin: bool | None = None) -> list[Path]:
        use_builtin = self.settings.builtin_rules if builtin is None else builtin
        paths = [builtin_rules_dir()] if use_builtin else []
        return paths + list(self.settings.rule_dirs) + list(extra)

    def load_rules(self, extra: Sequence[Path] = (), builtin: bool | None = None) -> RuleSet:
        allow = self.settings.allowlist
        return load_rules(
            self.rule_paths(extra, builtin),
            extra_allowlist=Allowlist.build(allow.cidrs, allow.users, allow.paths),
        )

    def playbook_paths(self, extra: Sequence[Path] = ()) -> list[Path]:
        """Built-in playbooks (unless `playbooks.builtin: false`), the config's, then `extra`."""
        config = self.settings.playbooks
        paths = [builtin_dir("playbooks")] if config.builtin else []
        return paths + list(config.dirs) + list(extra)

    def load_playbooks(self, extra: Sequence[Path] = ()) -> PlaybookSet:
        from .playbooks.loader import load_playbooks

        return load_playbooks(self.playbook_paths(extra))

    def load_regime(self) -> Regime:
        """The reporting regime (`reporting.regime`, else the shipped one), with the
        config's recipient roles checked against it."""
        from .reports.regime_loader import check_recipients, load_regime

        regime = load_regime(self.settings.reporting.regime)
        check_recipients(regime, self.settings.reporting)
        return regime

    def checklist_planner(self) -> ChecklistPlanner:
        """The IncidentStore hook giving each new incident its checklist."""
        from .playbooks.checklist import checklist_planner

        return checklist_planner(self.load_playbooks(), self.load_regime().step_deadlines())


def make_runtime(
    *,
    config: Path | None,
    lang: str | None,
    db: Path | None,
    tz_name: str | None,
    clock: Clock,
    env: Mapping[str, str],
) -> Runtime:
    config_path = config or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    settings = load_settings(config_path) if config_path else Settings()
    zone_name = tz_name or settings.timezone
    tz = parse_timezone(zone_name) if zone_name else system_timezone()
    return Runtime(
        settings=settings,
        lang=choose_language(lang, settings.language, env),
        tz=tz,
        db_path=db or settings.database or default_db_path(env),
        clock=clock,
        env=env,
    )
