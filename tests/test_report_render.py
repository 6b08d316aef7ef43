"""Every report kind in both languages and both formats against golden files.

Regenerate the golden files with SECMON_UPDATE_GOLDEN=1 and review the diff
by eye (open the .html ones in a browser).
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from reports_testkit import HOSTILE_UA, REPORT_TIME, Scenario, build

from secmon.builtin import builtin_dir
from secmon.clock import parse_timezone
from secmon.playbooks import load_playbooks
from secmon.reports.data import build_incident_report
from secmon.reports.facts import gather_incident
from secmon.reports.regime_loader import load_regime
from secmon.reports.render import render_incident_report, render_summary
from secmon.reports.summary import build_summary

GOLDEN = Path(__file__).parent / "golden" / "reports"
UPDATE = os.environ.get("SECMON_UPDATE_GOLDEN") == "1"
HANOI = parse_timezone("Asia/Ho_Chi_Minh")
KIND_OF = {1: "notification", 3: "initial", 2: "final"}


@pytest.fixture(scope="module")
def books():
    return load_playbooks([builtin_dir("playbooks")])


@pytest.fixture(scope="module")
def regime():
    return load_regime()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, books, regime) -> Scenario:
    built = build(tmp_path_factory.mktemp("reports") / "secmon.db", books, regime)
    yield built
    built.store.close()


def incident_page(scenario: Scenario, books, regime, incident_id: int, kind: str, lang: str,
                  fmt: str) -> str:
    facts = gather_incident(scenario.store, incident_id, books, scenario.settings.systems,
                            regime.step_deadlines())
    report = build_incident_report(facts, regime, kind, scenario.settings, lang=lang, tz=HANOI,
                                   now=scenario.clock.now())
    return render_incident_report(report, fmt)


def summary_page(scenario: Scenario, regime, lang: str, fmt: str,
                 start: date = date(2026, 3, 1), end: date = date(2026, 3, 31)) -> str:
    store = scenario.store
    incidents = store.list_incidents()
    evidence = {i.id: store.evidence(i.id) for i in incidents}
    summary = build_summary(incidents, store.checklists(), evidence, regime, scenario.settings,
                            start=start, end=end, lang=lang, tz=HANOI, now=scenario.clock.now())
    return render_summary(summary, fmt)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {name}; run with SECMON_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


# notification for the brute force (#1), Form 03 for the webshell (#3),
# Form 04 for the account compromise still open (#2: blanks and overdue steps)
CASES = [
    (kind, incident_id, lang, fmt)
    for incident_id, kind in sorted(KIND_OF.items())
    for lang in ("vi", "en")
    for fmt in ("html", "md")
]


@pytest.mark.parametrize(("kind", "incident_id", "lang", "fmt"), CASES)
def test_incident_reports_match_golden_files(scenario, books, regime, kind, incident_id, lang,
                                             fmt) -> None:
    page = incident_page(scenario, books, regime, incident_id, kind, lang, fmt)
    check_golden(f"{kind}.{lang}.{fmt}", page)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_summaries_match_golden_files(scenario, regime, lang, fmt) -> None:
    check_golden(f"summary.{lang}.{fmt}", summary_page(scenario, regime, lang, fmt))


def test_renders_are_deterministic(scenario, books, regime) -> None:
    first = incident_page(scenario, books, regime, 3, "initial", "vi", "html")
    assert incident_page(scenario, books, regime, 3, "initial", "vi", "html") == first
    assert summary_page(scenario, regime, "en", "html") == summary_page(
        scenario, regime, "en", "html")


def test_html_reports_escape_log_text(scenario, books, regime) -> None:
    page = incident_page(scenario, books, regime, 3, "initial", "en", "html")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "\u202e" not in page
    assert "\\u202eevil" in page  # the bidi override is shown, not obeyed
    assert HOSTILE_UA not in page


def test_markdown_reports_escape_log_text(scenario, books, regime) -> None:
    page = incident_page(scenario, books, regime, 3, "initial", "en", "md")
    assert "<script>" not in page
    assert r"\<script\>" in page
    assert r"\*\*bold\*\* \| \`tick\`" in page
    # every evidence row keeps the table's four pipes: none comes from the log line
    rows = [line for line in page.splitlines() if line.startswith("| ") and "anh.php" in line]
    assert len(rows) == 2
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 4 for row in rows)


def test_html_is_self_contained_a4_with_print_css(scenario, books, regime) -> None:
    page = incident_page(scenario, books, regime, 3, "final", "vi", "html")
    assert "@page { size: A4;" in page
    assert "@media print" in page
    assert "<link" not in page and "src=" not in page  # nothing fetched from elsewhere
    summary = summary_page(scenario, regime, "vi", "html")
    assert summary.count("<svg") == 3
    assert "<link" not in summary and "src=" not in summary


def test_blank_fields_are_marked_for_the_person_to_fill(scenario, books, regime) -> None:
    page = incident_page(scenario, books, regime, 2, "final", "en", "md")
    assert "- **Reference number:** _……… (to fill in)_" in page
    assert "- **Response ended:** _……… (to fill in)_" in page  # #2 is not resolved yet
    html = incident_page(scenario, books, regime, 2, "final", "vi", "html")
    assert html.count('<span class="fill">cần điền</span>') == 6


def test_report_time_is_the_clock(scenario) -> None:
    assert scenario.clock.now() == REPORT_TIME
