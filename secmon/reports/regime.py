"""The reporting regime: the legal rules reports follow, as data.

Loaded from a YAML file (regime_loader.py): the shipped one for the rules in
force (`regimes/vn-2017.yaml`), or the user's own copy named in secmon.yaml.
It holds the recipient roles, each report kind with its deadline, checklist
step, recipients and form layout (sections of fields), the legal references
printed on every report, and the periods of the periodic report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from ..errors import Location
from ..playbooks.model import Deadline, LocalText

REPORT_KINDS: tuple[str, ...] = ("notification", "initial", "final")
BLOCKS: tuple[str, ...] = ("timeline", "evidence", "checklist")


@dataclass(frozen=True, slots=True)
class Choice:
    """A check box; `when` (a condition name) ticks it automatically."""

    label: LocalText
    when: str | None = None


@dataclass(frozen=True, slots=True)
class FormField:
    label: LocalText
    value: str | None = None  # a value name of reports.fields; None: filled by hand
    required: bool = False
    choices: tuple[Choice, ...] = ()
    hint: LocalText | None = None
    location: Location = field(default=Location(""), compare=False)


@dataclass(frozen=True, slots=True)
class FormSection:
    title: LocalText
    fields: tuple[FormField, ...] = ()
    block: str | None = None  # one of BLOCKS, shown after the fields


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """One kind of incident report: what it is called, when it is due, its layout."""

    kind: str
    title: LocalText
    form: LocalText
    when: LocalText
    sections: tuple[FormSection, ...]
    recipients: tuple[str, ...] = ()  # role ids
    step: str | None = None  # the checklist step done by sending it
    deadline: Deadline | None = None
    subject: str = ""  # e-mail subject prefix, e.g. "[TBSC]"


@dataclass(frozen=True, slots=True)
class SummarySpec:
    title: LocalText
    form: LocalText
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period of a year: month-day of its start, end and due date."""

    id: str
    label: LocalText
    start: tuple[int, int]
    end: tuple[int, int]
    due: tuple[int, int] | None = None

    def dates(self, year: int) -> tuple[date, date, date | None]:
        """First day, last day and due date of the period in `year`."""
        due = date(year, *self.due) if self.due else None
        return date(year, *self.start), date(year, *self.end), due


@dataclass(frozen=True, slots=True)
class Regime:
    id: str
    name: LocalText
    legal_basis: tuple[LocalText, ...]
    roles: Mapping[str, LocalText]
    reports: Mapping[str, ReportSpec]
    summary: SummarySpec
    periods: Mapping[str, Period]
    header: Mapping[str, tuple[str, ...]]  # lang -> lines of the national header
    notice: LocalText | None = None
    path: str = ""

    def step_deadlines(self) -> dict[str, Deadline]:
        """Checklist step id -> the deadline of the report sent by doing it."""
        return {
            spec.step: spec.deadline
            for spec in self.reports.values()
            if spec.step is not None and spec.deadline is not None
        }

    def report_steps(self) -> dict[str, str]:
        """Checklist step id -> report kind."""
        return {spec.step: kind for kind, spec in self.reports.items() if spec.step}
