"""Playbooks: bilingual incident-response checklists, loaded from YAML and
rendered per incident (text, Markdown, HTML) with computed deadlines.

    playbooks = load_playbooks([builtin_dir("playbooks"), user_dir])
    playbook = playbooks.for_incident(incident.category, incident.rule_ids,
                                      preferred=incident.playbook)
    print(render_checklist(playbook, incident, lang="vi", fmt="text", now=clock.now()))
"""

from .loader import check_playbooks, load_playbooks
from .model import (
    ANCHORS,
    LANGS,
    PHASES,
    AppliesTo,
    Deadline,
    LocalText,
    Playbook,
    PlaybookSet,
    Step,
    StepState,
    parse_deadline,
)
from .render import FORMATS, render_checklist, step_deadlines
from .stages import LEGAL_STAGES, PHASE_INFO
from .variables import VARIABLES, Missing, allowed_variables

__all__ = [
    "ANCHORS",
    "FORMATS",
    "LANGS",
    "LEGAL_STAGES",
    "PHASES",
    "PHASE_INFO",
    "VARIABLES",
    "AppliesTo",
    "Deadline",
    "LocalText",
    "Missing",
    "Playbook",
    "PlaybookSet",
    "Step",
    "StepState",
    "allowed_variables",
    "check_playbooks",
    "load_playbooks",
    "parse_deadline",
    "render_checklist",
    "step_deadlines",
]
