"""Rendered alerts: golden files per format and language, hostile log text, overrides.

Regenerate the golden files with SECMON_UPDATE_GOLDEN=1 and review the diff by eye.
"""

from __future__ import annotations

import html.parser
import os
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apprise.conversion import markdown_to_html
from notify_testkit import HOSTILE_LINES

from secmon.notify.message import MessageRenderer
from secmon.notify.payload import AlertSnapshot, EvidenceItem, from_json, to_json
from secmon.templating import TemplateError

GOLDEN = Path(__file__).resolve().parent / "golden" / "notify"
UPDATE = os.environ.get("SECMON_UPDATE_GOLDEN") == "1"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 3, 14, 6, 0, 0, tzinfo=UTC)
SUFFIX = {"text": "txt", "markdown": "md", "html": "html"}

ALERT = AlertSnapshot(
    kind="escalated",
    incident_id=42,
    title={"vi": "Tấn công chèn mã SQL vào cổng thông tin",
           "en": "SQL injection against the portal"},
    severity="high",
    category="web-attack",
    status="acknowledged",
    key=(("src_ip", "203.0.113.45"),),
    hosts=("portal",),
    rule_ids=("web.sqli", "web.sqli-burst"),
    first_seen=T0,
    last_seen=T0 + timedelta(minutes=14, seconds=5),
    count=120,
    changed_at=T0 + timedelta(minutes=14, seconds=6),
    previous_severity="medium",
    previous_count=12,
    reason="severity,count",
    evidence=(
        EvidenceItem(T0 + timedelta(minutes=14, seconds=1), "/var/log/nginx/access.log", 8812,
                     '203.0.113.45 - - [14/Mar/2026:13:14:01 +0700] "GET /index.php?id=1%27+UNION'
                     '+SELECT+username,password+FROM+users--+- HTTP/1.1" 200 5120 '
                     '"https://www.google.com/" "sqlmap/1.8#stable (https://sqlmap.org)"'),
        EvidenceItem(T0 + timedelta(minutes=14, seconds=3), "/var/log/nginx/access.log", 8815,
                     '203.0.113.45 - - [14/Mar/2026:13:14:03 +0700] "GET /index.php?id=1%27+AND+'
                     'SLEEP(5)--+- HTTP/1.1" 200 5120 "-" "sqlmap/1.8#stable (https://sqlmap.org)"'),
        EvidenceItem(T0 + timedelta(minutes=14, seconds=5), "/var/log/nginx/access.log", 8816,
                     '203.0.113.45 - - [14/Mar/2026:13:14:05 +0700] "POST /lien-he.php HTTP/1.1"'
                     ' 200 312 "-" "<script>alert(\'@all\')</script>"'),
    ),
    evidence_total=118,
    playbook="web-attack",
    playbook_title={"vi": "Tấn công ứng dụng web (SQL injection, XSS, ...)",
                    "en": "Web application attack (SQL injection, XSS, ...)"},
)


@pytest.fixture(scope="module")
def renderer() -> MessageRenderer:
    return MessageRenderer(HCM)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_alert_matches_golden_file(renderer: MessageRenderer, lang: str, fmt: str) -> None:
    message = renderer.alert(ALERT, lang, fmt)
    text = f"Title: {message.title}\nLevel: {message.level}\n\n{message.body}"
    path = GOLDEN / f"alert.{lang}.{SUFFIX[fmt]}"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with SECMON_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs from the golden file"


def test_titles_and_levels(renderer: MessageRenderer) -> None:
    assert renderer.alert(ALERT, "vi", "text").title == (
        "[secmon] CAO #42 Sự cố leo thang: Tấn công chèn mã SQL vào cổng thông tin")
    assert renderer.alert(ALERT, "en", "html").title == (
        "[secmon] HIGH #42 Incident escalated: SQL injection against the portal")
    assert renderer.alert(replace(ALERT, kind="resolved"), "en", "text").level == "success"
    assert renderer.alert(replace(ALERT, severity="medium"), "en", "text").level == "warning"
    assert renderer.alert(replace(ALERT, severity="low"), "en", "text").level == "info"
    assert renderer.alert(ALERT, "en", "text").level == "failure"


def test_payload_round_trip() -> None:
    assert from_json(to_json(ALERT)) == ALERT


# ------------------------------------------------------------------ hostile text
MARK = "QQVALUEQQ"


def filled(value: str) -> AlertSnapshot:
    """The golden alert with every log-derived field set to `value`."""
    return replace(
        ALERT,
        key=(("src_ip", value), ("user", value)),
        hosts=(value, value),
        evidence=tuple(replace(e, source=value, text=value) for e in ALERT.evidence),
        by=value,
        kind="resolved",
    )


class Skeleton(html.parser.HTMLParser):
    """The tags and attributes of an HTML document, in order (text left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, ...]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(("start", tag, *(f"{k}={v}" for k, v in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def skeleton(document: str) -> Skeleton:
    parser = Skeleton()
    parser.feed(document)
    parser.close()
    return parser


FORBIDDEN = ("http://", "https://", "@channel", "@here", "@all", "@everyone", "<!channel>",
             "evil.example", "\u202e", "\u200b", "\x1b", "\r")


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("hostile", HOSTILE_LINES)
def test_hostile_text_keeps_the_text_structure(renderer: MessageRenderer, lang: str,
                                               hostile: str) -> None:
    benign = renderer.alert(filled(MARK), lang, "text").body.split("\n")
    attacked = renderer.alert(filled(hostile), lang, "text").body.split("\n")
    assert len(attacked) == len(benign)  # no line added or removed
    for plain, bad in zip(benign, attacked, strict=True):
        assert bad.startswith(plain.split(MARK)[0])  # every label still where it was
    body = "\n".join(attacked)
    for needle in FORBIDDEN:
        assert needle not in body


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("hostile", HOSTILE_LINES)
def test_hostile_text_keeps_the_markdown_structure(renderer: MessageRenderer, lang: str,
                                                   hostile: str) -> None:
    benign = renderer.alert(filled(MARK), lang, "markdown").body
    attacked = renderer.alert(filled(hostile), lang, "markdown").body
    assert attacked.count("\n") == benign.count("\n")
    # as a chat service or mail would show it: Apprise's own Markdown -> HTML
    shown_benign, shown = skeleton(markdown_to_html(benign)), skeleton(markdown_to_html(attacked))
    assert shown.tags == shown_benign.tags  # no link, image, heading, list, code or raw HTML
    text = "".join(shown.text)
    for needle in FORBIDDEN:
        assert needle not in text


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("hostile", HOSTILE_LINES)
def test_hostile_text_keeps_the_html_structure(renderer: MessageRenderer, lang: str,
                                               hostile: str) -> None:
    benign = skeleton(renderer.alert(filled(MARK), lang, "html").body)
    attacked = renderer.alert(filled(hostile), lang, "html").body
    shown = skeleton(attacked)
    assert shown.tags == benign.tags
    text = "".join(shown.text)
    for needle in FORBIDDEN:
        assert needle not in text
    assert "<script" not in attacked and "<a " not in attacked


def test_hostile_line_shows_visibly_escaped(renderer: MessageRenderer) -> None:
    body = renderer.alert(filled(HOSTILE_LINES[0]), "en", "text").body
    assert ("  GET /?q=x HTTP/1.1\\x0aSeverity: info\\x0aFalse alarm, ignore ＠channel "
            "‹!channel> ＠here ＠all see hxxps://evil[.]example/reset\n") in body


def test_long_evidence_is_cut_with_a_marker(renderer: MessageRenderer) -> None:
    body = renderer.alert(filled("A" * 5000), "en", "text").body
    assert f"  {'A' * 300}…[+4700]\n" in body
    assert f"Source IP: {'A' * 120}…[+4880]\n" in body


# ------------------------------------------------------------ other messages
def test_storm_digest_and_test_messages(renderer: MessageRenderer) -> None:
    items = [replace(ALERT, incident_id=n, severity=s, kind="opened")
             for n, s in ((1, "medium"), (2, "critical"), (3, "high"))]
    storm = renderer.storm(items, "en", "text", within=timedelta(minutes=5), limit=20)
    assert storm.title == "[secmon] Alert storm control: 3 alerts in one summary"
    assert storm.level == "warning"
    listed = [line for line in storm.body.splitlines() if line.startswith("- #")]
    assert [line.split()[1] for line in listed] == ["#2", "#3", "#1"]  # most severe first
    assert "20 or more alerts came within 5m on this route" in storm.body
    digest = renderer.digest(items, "vi", "markdown", day=T0, retried=2)
    assert digest.title == "[secmon] Bản tin ngày 2026-03-14: 3 sự cố mức thấp"
    assert "2 cảnh báo gửi lỗi trước đây đang được gửi lại." in digest.body
    test = renderer.test("it-team", "vi", "text", T0)
    assert test.body == (
        "Tin thử của secmon trên tuyến it-team, gửi lúc 2026-03-14 13:00:00 +07:00.\n"
        "Nếu bạn đọc được tin này, tuyến cảnh báo hoạt động. Không cần làm gì thêm.\n"
    )


def test_user_templates_override_the_builtin_ones(tmp_path: Path) -> None:
    (tmp_path / "en" / "text").mkdir(parents=True)
    (tmp_path / "en" / "text" / "alert.j2").write_text(
        "ALERT {{ alert.id }} {{ alert.severity_label }} {{ alert.key[0].value }}\n",
        encoding="utf-8")
    custom = MessageRenderer(HCM, tmp_path)
    hostile = filled("x\n@all http://evil.example")
    assert custom.alert(hostile, "en", "text").body == (
        "ALERT 42 high x\\x0a＠all hxxp://evil[.]example\n")
    assert custom.alert(hostile, "en", "markdown").body.startswith("**Incident resolved #42")
    (tmp_path / "en" / "text" / "alert.j2").write_text("{{ alert.sevrity }}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=re.escape("en/text/alert.j2: ")):
        MessageRenderer(HCM, tmp_path).alert(ALERT, "en", "text")
