"""Reports as self-contained files: printable A4 HTML (CSS and SVG charts
inline) or Markdown.

The layouts are templates in `templates/`; every value reaches them through
one `finalize` function that makes text visible-safe (control and bidi
characters become escapes) and, for Markdown, escapes markup; HTML output
is autoescaped by Jinja2. Rendering is deterministic.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..playbooks.formatting import md_escape
from ..playbooks.model import LocalText
from ..templating import Environment, Markup, make_environment, render_template
from ..textsafe import terminal_safe
from .charts import bar_chart, day_chart
from .data import IncidentReport
from .summary import SummaryReport, TopRow
from .text import LABELS, fmt_date

FORMATS: tuple[str, ...] = ("html", "md")
_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _t(vi: str, en: str) -> LocalText:
    return LocalText(vi, en)


SUMMARY_LABELS: Mapping[str, LocalText] = MappingProxyType(
    {
        "period": _t("Kỳ báo cáo", "Period"),
        "period_rule": _t(
            "Sự cố được tính vào kỳ theo thời điểm của dòng nhật ký đầu tiên; cảnh báo nhầm chỉ"
            " được đếm riêng.",
            "An incident counts in the period of its first log line; false positives are only"
            " counted apart.",
        ),
        "figures": _t("Số liệu chính", "Key figures"),
        "total": _t("Tổng số sự cố", "Incidents"),
        "open": _t("Đang xử lý", "Open"),
        "resolved": _t("Đã khắc phục", "Resolved"),
        "false_positive": _t("Cảnh báo nhầm", "False positives"),
        "mtta": _t("Thời gian tiếp nhận trung bình", "Mean time to acknowledge"),
        "mttr": _t("Thời gian khắc phục trung bình", "Mean time to resolve"),
        "over": _t("trên số sự cố:", "over incidents:"),
        "checklist_completion": _t("Hoàn thành danh sách kiểm tra", "Checklist completion"),
        "completion": _t(
            "{done}/{total} bước ({percent}); {complete}/{lists} sự cố đã làm đủ các bước",
            "{done} of {total} steps ({percent}); {complete} of {lists} incidents fully done",
        ),
        "by_category": _t("Sự cố theo loại", "Incidents by category"),
        "by_severity": _t("Sự cố theo mức độ", "Incidents by severity"),
        "by_status": _t("Sự cố theo trạng thái", "Incidents by status"),
        "by_day": _t("Sự cố theo ngày", "Incidents by day"),
        "day": _t("Ngày", "Day"),
        "category": _t("Loại", "Category"),
        "severity": _t("Mức độ", "Severity"),
        "status": _t("Trạng thái", "Status"),
        "incidents": _t("Số sự cố", "Incidents"),
        "events": _t("Số dòng nhật ký", "Log lines"),
        "evidence_lines": _t("Số dòng nhật ký (bằng chứng)", "Log lines (evidence)"),
        "value": _t("Giá trị", "Value"),
        "top_ips": _t("Địa chỉ IP nguồn nhiều nhất", "Top source IP addresses"),
        "top_paths": _t("Đường dẫn (URL) bị nhắm tới nhiều nhất", "Most targeted URLs"),
        "top_users": _t("Tài khoản bị nhắm tới nhiều nhất", "Most targeted accounts"),
        "overdue_reports": _t(
            "Báo cáo, bước quá hạn hoặc trễ hạn", "Reports and steps overdue or late"
        ),
        "incident": _t("Sự cố", "Incident"),
        "report": _t("Báo cáo / bước", "Report / step"),
        "state": _t("Tình trạng", "State"),
        "incident_list": _t("Danh sách sự cố", "Incidents"),
        "first_seen": _t("Bắt đầu", "Started"),
        "title": _t("Mô tả", "Title"),
        "progress": _t("Tiến độ", "Progress"),
    }
)
_SHARED = ("to_fill", "number", "place_date", "recipients", "due", "legal", "generated",
           "signature", "signature_note", "no_entries", "page_note", "file_copy")


class _Lines(str):
    """Text whose line breaks are meant (multi-line field values)."""


def _visible(text: str) -> str:
    """Control and bidi characters as visible escapes; line breaks kept."""
    return "\n".join(terminal_safe(line) for line in text.split("\n"))


def _html_value(value: Any) -> Any:
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return _visible(value)


def _md_value(value: Any) -> str:
    if isinstance(value, _Lines):
        return "  \n".join(md_escape(terminal_safe(line)) for line in value.split("\n"))
    if not isinstance(value, str):
        return "" if value is None else str(value)
    return md_escape(terminal_safe(" ".join(value.split("\n"))))


def _hardbreaks(value: str) -> _Lines:
    return _Lines(value)


@functools.cache
def _environment(fmt: str) -> Environment:
    """The layouts' environment for `fmt`, built once (a memo of fixed files)."""
    if fmt == "html":
        env = make_environment([_TEMPLATES], html=True, finalize=_html_value)
    else:
        env = make_environment([_TEMPLATES], html=False, finalize=_md_value)
    env.filters["hardbreaks"] = _hardbreaks if fmt == "md" else (lambda v: v)
    return env


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


def render_incident_report(report: IncidentReport, fmt: str) -> str:
    """The notification / Form 03 / Form 04 as a page in `fmt` ('html' | 'md')."""
    _check(fmt)
    return render_template(_environment(fmt), f"incident.{fmt}.j2", {"r": report})


def render_summary(summary: SummaryReport, fmt: str) -> str:
    """The period summary as a page in `fmt` ('html' | 'md'), charts inline in HTML."""
    _check(fmt)
    lang = summary.lang
    labels = {key: text.get(lang) for key, text in SUMMARY_LABELS.items()}
    labels.update({key: LABELS[key].get(lang) for key in _SHARED})
    percent = (f"{100 * summary.steps_done / summary.steps_total:.0f}%"
               if summary.steps_total else "—")
    tops: list[tuple[str, str, tuple[TopRow, ...]]] = [
        (labels["top_ips"], labels["events"], summary.top_ips),
        (labels["top_paths"], labels["evidence_lines"], summary.top_paths),
        (labels["top_users"], labels["evidence_lines"], summary.top_users),
    ]
    variables: dict[str, Any] = {
        "s": summary,
        "t": labels,
        "completion": labels["completion"].format(
            done=summary.steps_done, total=summary.steps_total, percent=percent,
            complete=summary.checklists_complete, lists=summary.checklists),
        "busy_days": [(fmt_date(day, lang), count) for day, count in summary.by_day if count],
        "tops": tops,
    }
    if fmt == "html":
        variables["category_chart"] = bar_chart(
            [(row.label, row.count) for row in summary.by_category], labels["by_category"])
        variables["severity_chart"] = bar_chart(
            [(row.label, row.count) for row in summary.by_severity], labels["by_severity"],
            colour="#8064a2")
        variables["day_chart"] = day_chart(summary.by_day, labels["by_day"])
    return render_template(_environment(fmt), f"summary.{fmt}.j2", variables)
