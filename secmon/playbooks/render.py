"""An incident's checklist from its playbook: text, Markdown or HTML.

Deterministic: the same playbook, incident, states and `now` give the same
bytes. Step texts are rendered in a sandbox with the incident's values
(placeholders for what it lacks), each value escaped for where it lands
(formatting.py); the page layout is a template in `templates/`.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..i18n import pick
from ..i18n.catalog import MESSAGES
from ..incidents.model import Incident
from ..templating import (
    Environment,
    compile_template,
    html_escape,
    make_environment,
    render_compiled,
    render_template,
)
from .formatting import (
    clean,
    format_time,
    is_template,
    md_escape,
    md_fence,
    playbook_environment,
)
from .model import LANGS, Deadline, LocalText, Playbook, Step, StepState
from .stages import LEGAL_BASIS, LEGAL_STAGES, PHASE_INFO, stage_label
from .variables import DEFAULT_EVIDENCE_ROOT, incident_values

FORMATS: tuple[str, ...] = ("text", "md", "html")
_TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_LAYOUTS = {"text": "checklist.txt.j2", "md": "checklist.md.j2", "html": "checklist.html.j2"}
_WRAP = 78
_NO_STATES: Mapping[str, StepState] = MappingProxyType({})


def _t(vi: str, en: str) -> LocalText:
    return LocalText(vi, en)


LABELS: Mapping[str, LocalText] = MappingProxyType(
    {
        "checklist": _t("Danh sách kiểm tra ứng cứu sự cố", "Incident response checklist"),
        "incident": _t("Sự cố", "Incident"),
        "playbook": _t("Kịch bản", "Playbook"),
        "category": _t("Loại sự cố", "Category"),
        "severity": _t("Mức độ", "Severity"),
        "status": _t("Trạng thái", "Status"),
        "detected": _t("Phát hiện lúc", "Detected"),
        "first_seen": _t("Dòng nhật ký đầu tiên", "First log line"),
        "last_seen": _t("Dòng nhật ký cuối cùng", "Last log line"),
        "count": _t("Số dòng nhật ký khớp", "Matching log lines"),
        "hosts": _t("Máy chủ", "Hosts"),
        "sources": _t("Nguồn nhật ký", "Log sources"),
        "rules": _t("Luật phát hiện", "Rules"),
        "key": _t("Khóa nhóm", "Key"),
        "assignee": _t("Người xử lý", "Assignee"),
        "org": _t("Cơ quan", "Organisation"),
        "progress": _t("Tiến độ", "Progress"),
        "generated": _t("Lập lúc", "Generated"),
        "due": _t("Hạn", "Due"),
        "done_by": _t("Đã xong", "Done"),
        "note": _t("Ghi chú", "Note"),
        "commands": _t("Lệnh tham khảo", "Commands"),
        "evidence": _t(
            "Lưu kết quả làm chứng cứ vào thư mục chứng cứ, ghi giá trị băm SHA-256.",
            "Keep the output as evidence in the evidence folder, with its SHA-256 hash.",
        ),
        "legal": _t("Căn cứ", "Legal basis"),
        "commands_note": _t(
            "Các lệnh chỉ để tham khảo: secmon không bao giờ tự chạy lệnh. Giá trị lấy từ"
            " nhật ký đã được đặt trong dấu nháy an toàn; hãy đọc kỹ trước khi chạy.",
            "Commands are for reference: secmon never runs them. Values taken from logs are"
            " shell-quoted; read each command before running it.",
        ),
        "orphans": _t(
            "Trạng thái đã ghi cho các bước không còn trong kịch bản",
            "State recorded for steps no longer in this playbook",
        ),
        "overdue": _t("QUÁ HẠN", "OVERDUE"),
        "urgent": _t("KHẨN: LÀM NGAY", "URGENT: DO NOW"),
        "late": _t("hoàn thành trễ hạn", "done late"),
        "immediately": _t("ngay lập tức", "immediately"),
        "not_yet": _t("chưa xác định", "not yet known"),
        "day": _t("ngày", "day"),
        "days": _t("ngày", "days"),
        "hour": _t("giờ", "hour"),
        "hours": _t("giờ", "hours"),
        "after_detected": _t("sau khi phát hiện", "after detection"),
        "after_acknowledged": _t("sau khi tiếp nhận", "after acknowledgement"),
        "after_resolved": _t("sau khi kết thúc ứng phó", "after the response ends"),
        "steps_done": _t("bước đã xong", "steps done"),
        "n_overdue": _t("quá hạn", "overdue"),
    }
)

CATEGORY_NAMES: Mapping[str, LocalText] = MappingProxyType(
    {
        "brute-force": _t("dò mật khẩu", "brute force"),
        "web-attack": _t("tấn công ứng dụng web", "web attack"),
        "scanning": _t("dò quét", "scanning"),
        "webshell": _t("webshell", "webshell"),
        "defacement": _t("thay đổi giao diện", "defacement"),
        "malware": _t("mã độc", "malware"),
        "dos": _t("từ chối dịch vụ", "denial of service"),
        "privilege-escalation": _t("leo thang đặc quyền", "privilege escalation"),
        "account-compromise": _t("chiếm đoạt tài khoản", "account compromise"),
        "availability": _t("gián đoạn dịch vụ", "loss of availability"),
        "policy": _t("vi phạm chính sách", "policy violation"),
    }
)


def step_deadlines(
    playbook: Playbook,
    incident: Incident,
    resolved_at: datetime | None = None,
    *,
    acknowledged_at: datetime | None = None,
) -> dict[str, datetime | None]:
    """Each step's due time; None: no deadline, or its anchor has not happened yet.

    'detected' is when secmon opened the incident (`created_at`); 'immediately'
    is due at that moment. The acknowledged and resolved times default to the
    incident's own.
    """
    anchors = _anchors(incident, acknowledged_at, resolved_at)
    return {
        step.id: step.deadline.due(anchors) if step.deadline else None for step in playbook.steps
    }


def _anchors(
    incident: Incident, acknowledged_at: datetime | None, resolved_at: datetime | None
) -> dict[str, datetime | None]:
    return {
        "detected": incident.created_at,
        "acknowledged": acknowledged_at or incident.acknowledged_at,
        "resolved": resolved_at or incident.resolved_at,
    }


@dataclass(frozen=True, slots=True)
class _StepView:
    number: int
    id: str
    title: str
    details: str
    commands: tuple[str, ...]
    fence: str
    evidence: bool
    done: bool
    done_text: str
    note: str
    due: str
    mark: str  # '' | overdue | urgent | late
    mark_text: str


@dataclass(frozen=True, slots=True)
class _Group:
    phase: str
    heading: str
    steps: tuple[_StepView, ...]


def render_checklist(
    playbook: Playbook,
    incident: Incident,
    *,
    lang: str,
    fmt: str,
    done: Mapping[str, StepState] = _NO_STATES,
    now: datetime,
    org: str | None = None,
    tz: tzinfo | None = None,
    acknowledged_at: datetime | None = None,
    resolved_at: datetime | None = None,
    evidence_root: str = DEFAULT_EVIDENCE_ROOT,
) -> str:
    """The checklist of `incident` under `playbook` in `lang` ('vi'|'en') and `fmt`
    ('text'|'md'|'html'). Times show in `tz` (default: the zone of `now`)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if now.tzinfo is None:
        raise ValueError("render_checklist needs a tz-aware 'now'")
    zone = tz or now.tzinfo
    page = _Page(lang, fmt, zone, playbook)
    values = incident_values(incident, lang=lang, org=org, evidence_root=evidence_root, tz=zone)
    anchors = _anchors(incident, acknowledged_at, resolved_at)
    views = [
        page.step(number, step, values, done.get(step.id, StepState()), anchors, now)
        for number, step in enumerate(playbook.steps, start=1)
    ]
    groups: list[_Group] = []
    for step, view in zip(playbook.steps, views, strict=True):
        if groups and groups[-1].phase == step.phase:
            groups[-1] = _Group(step.phase, groups[-1].heading, (*groups[-1].steps, view))
        else:
            heading = f"{PHASE_INFO[step.phase].name.get(lang)} ({stage_label(step.phase, lang)})"
            groups.append(_Group(step.phase, heading, (view,)))
    finished = sum(view.done for view in views)
    overdue = sum(view.mark == "overdue" for view in views)
    progress = f"{finished}/{len(views)} {page.label('steps_done')}"
    if overdue:
        progress += f", {overdue} {page.label('n_overdue')}"
    orphans = sorted(set(done) - set(playbook.step_ids))
    variables: dict[str, Any] = {
        "t": {key: text.get(lang) for key, text in LABELS.items()},
        "lang": lang,
        "heading": page.esc(f"{page.label('checklist')}: {playbook.title.get(lang)}"),
        "incident_line": page.esc(
            f"{page.label('incident')} #{incident.id}: {clean(str(values['title']))}"
        ),
        "facts": page.facts(playbook, incident, org),
        "summary": page.prose(playbook.summary.get(lang), values),
        "progress": progress,
        "generated": format_time(now, zone),
        "groups": groups,
        "orphans": [page.esc(clean(name)) for name in orphans],
        "legal_basis": LEGAL_BASIS.get(lang),
        "stages": [(s.number, s.name.get(lang)) for s in LEGAL_STAGES.values()],
        "stage_word": "Giai đoạn" if lang == "vi" else "Stage",
    }
    return render_template(_layout_environment(fmt == "html"), _LAYOUTS[fmt], variables)


@functools.cache
def _layout_environment(html: bool) -> Environment:
    """The page layouts' environment, built on first use and kept: compiling a
    layout costs more than rendering it. A memo of fixed files, not state."""
    return make_environment([_TEMPLATE_DIR], html=html)


class _Page:
    """Per-render helpers: the language, the output format and the time zone."""

    def __init__(self, lang: str, fmt: str, tz: tzinfo, playbook: Playbook):
        self.lang = lang
        self.fmt = fmt
        self.tz = tz
        self.playbook = playbook
        self.envs: dict[str, Environment] = {}

    def render(self, kind: str, source: str, values: Mapping[str, object]) -> str:
        """A playbook text ('text') or command ('shell'), compiled by the loader if it could."""
        if not is_template(source):
            return source
        template = self.playbook.compiled.get((kind, source))
        if template is None:
            if kind not in self.envs:
                self.envs[kind] = playbook_environment(kind)
            template = compile_template(self.envs[kind], source)
        return render_compiled(template, values)

    def label(self, key: str) -> str:
        return LABELS[key].get(self.lang)

    def esc(self, text: str) -> str:
        """Untrusted one-line text, ready for the layout (which escapes HTML itself)."""
        return md_escape(text) if self.fmt == "md" else text

    def prose(self, source: str, values: Mapping[str, object], *, one_line: bool = False) -> str:
        """A step or summary text rendered, then escaped as a whole for the format."""
        text = self.render("text", source, values).strip()
        if one_line:
            return self.esc(" ".join(text.split()))
        if self.fmt == "html":
            return html_escape(text)
        if self.fmt == "md":
            return md_escape(text)
        if self.fmt == "text":
            paragraphs = text.split("\n")
            return "\n".join(
                textwrap.fill(p, _WRAP - 4, break_long_words=False, break_on_hyphens=False)
                for p in paragraphs
            )
        return text

    def value_name(self, kind: str, value: str) -> str:
        """A severity, status or category in words ('cao (high)' in Vietnamese)."""
        entry = MESSAGES.get(f"{kind}.{value}")
        name = pick(self.lang, entry) if entry else None
        if name is None and kind == "category" and value in CATEGORY_NAMES:
            name = CATEGORY_NAMES[value].get(self.lang)
        if not name:
            return clean(value)
        return f"{name} ({value})" if self.lang == "vi" and name != value else name

    def facts(
        self, playbook: Playbook, incident: Incident, org: str | None
    ) -> list[tuple[str, str]]:
        rows = [
            ("playbook", f"{playbook.title.get(self.lang)} ({playbook.id})"),
            ("category", self.value_name("category", incident.category)),
            ("severity", self.value_name("severity", incident.severity)),
            ("status", self.value_name("status", incident.status)),
            ("detected", format_time(incident.created_at, self.tz)),
            ("first_seen", format_time(incident.first_seen, self.tz)),
            ("last_seen", format_time(incident.last_seen, self.tz)),
            ("count", str(incident.count)),
        ]
        for key, items in (
            ("hosts", incident.hosts),
            ("sources", incident.sources),
            ("rules", incident.rule_ids),
        ):
            if items:
                rows.append((key, ", ".join(clean(str(item)) for item in items)))
        if incident.key:
            pairs = sorted((str(k), str(v)) for k, v in incident.key.items())
            rows.append(("key", ", ".join(f"{clean(k)}={clean(v)}" for k, v in pairs)))
        if incident.assignee:
            rows.append(("assignee", clean(incident.assignee)))
        if org:
            rows.append(("org", clean(org)))
        return [(self.label(key), self.esc(value)) for key, value in rows]

    def step(
        self,
        number: int,
        step: Step,
        values: Mapping[str, object],
        state: StepState,
        anchors: Mapping[str, datetime | None],
        now: datetime,
    ) -> _StepView:
        commands = tuple(self.render("shell", source, values).strip() for source in step.commands)
        due_at = step.deadline.due(anchors) if step.deadline else None
        mark = ""
        if step.deadline is not None and not state.done:
            if step.deadline.immediate:
                mark = "urgent"
            elif due_at is not None and now > due_at:
                mark = "overdue"
        elif step.deadline is not None and due_at is not None and state.at is not None:
            mark = "late" if state.at > due_at and not step.deadline.immediate else ""
        done_parts = [clean(state.by)] if state.by else []
        if state.at is not None:
            done_parts.append(format_time(state.at, self.tz))
        return _StepView(
            number=number,
            id=step.id,
            title=self.prose(step.title.get(self.lang), values, one_line=True),
            details=self.prose(step.details.get(self.lang), values),
            commands=commands,
            fence=md_fence("\n".join(commands)),
            evidence=step.evidence,
            done=state.done,
            done_text=self.esc(", ".join(done_parts)),
            note=self.esc(clean(state.note, limit=2000)) if state.note else "",
            due=self.due_text(step.deadline, due_at) if step.deadline else "",
            mark=mark,
            mark_text=self.label(mark) if mark else "",
        )

    def due_text(self, deadline: Deadline, due_at: datetime | None) -> str:
        if deadline.immediate:
            when = f" ({format_time(due_at, self.tz)})" if due_at else ""
            return f"{self.label('immediately')}{when}"
        assert deadline.anchor is not None
        hours = int(deadline.offset.total_seconds()) // 3600
        amount, unit = (hours // 24, "day") if hours % 24 == 0 else (hours, "hour")
        unit_word = self.label(unit if amount == 1 else unit + "s")
        rule = f"{amount} {unit_word} {self.label('after_' + deadline.anchor)}"
        if due_at is None:
            return f"{rule} ({self.label('not_yet')})"
        return f"{format_time(due_at, self.tz)} ({rule})"
