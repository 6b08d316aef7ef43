"""What a report knows about one incident, read from the store in one go.

`gather_incident` is the only function here that touches the store; the
rest of secmon.reports works on the frozen IncidentFacts it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config.reporting import SystemSettings
from ..incidents.checklists import ChecklistRecord
from ..incidents.model import EvidenceLine, Incident, TimelineEntry
from ..playbooks.checklist import ensure_checklist
from ..playbooks.formatting import playbook_environment
from ..playbooks.model import Deadline, LocalText, Playbook, PlaybookSet
from ..playbooks.variables import incident_values
from ..templating import compile_template, render_compiled

if TYPE_CHECKING:  # pragma: no cover - the store is passed in
    from ..incidents.store import IncidentStore


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    incident: Incident
    timeline: tuple[TimelineEntry, ...]
    evidence: tuple[EvidenceLine, ...]
    evidence_total: int
    checklist: ChecklistRecord | None
    playbook_title: LocalText | None
    step_titles: Mapping[str, LocalText]  # checklist step id -> title for this incident
    systems: tuple[SystemSettings, ...]  # the inventory systems the incident concerns


def gather_incident(
    store: IncidentStore,
    incident_id: int,
    playbooks: PlaybookSet,
    systems: Sequence[SystemSettings],
    deadlines: Mapping[str, Deadline],
) -> IncidentFacts:
    """Everything about one incident a report shows (creating a missing checklist)."""
    record = ensure_checklist(store, incident_id, playbooks, deadlines)
    incident = store.get(incident_id)
    playbook = playbooks.get(record.playbook)
    return IncidentFacts(
        incident=incident,
        timeline=tuple(store.timeline(incident_id)),
        evidence=tuple(store.evidence(incident_id)),
        evidence_total=store.evidence_total(incident_id),
        checklist=record,
        playbook_title=playbook.title if playbook else None,
        step_titles=step_titles(playbook, incident) if playbook else {},
        systems=match_systems(incident, systems),
    )


def match_systems(
    incident: Incident, systems: Sequence[SystemSettings]
) -> tuple[SystemSettings, ...]:
    """The systems whose hosts include one of the incident's hosts or whose
    domains include its virtual host; the only system when just one is
    configured and none matched; else none (the report leaves a blank)."""
    hosts = {h.lower() for h in incident.hosts}
    vhost = str(incident.key.get("vhost", "")).lower()
    if "host" in incident.key:
        hosts.add(str(incident.key["host"]).lower())
    found = tuple(
        s
        for s in systems
        if hosts & {h.lower() for h in s.hosts}
        or (vhost and vhost in {d.lower() for d in s.domains})
    )
    if not found and len(systems) == 1:
        return (systems[0],)
    return found


def step_titles(playbook: Playbook, incident: Incident) -> dict[str, LocalText]:
    """Each step's title rendered for the incident, on one line, in both languages."""
    values = {lang: incident_values(incident, lang=lang) for lang in ("vi", "en")}
    env = None
    titles: dict[str, LocalText] = {}
    for step in playbook.steps:
        texts = []
        for lang in ("vi", "en"):
            source = step.title.get(lang)
            if "{" in source:
                template = playbook.compiled.get(("text", source))
                if template is None:
                    env = env or playbook_environment("text")
                    template = compile_template(env, source)
                source = render_compiled(template, values[lang])
            texts.append(" ".join(source.split()))
        titles[step.id] = LocalText(texts[0], texts[1])
    return titles
