"""Checklist rendering: deadlines, marks, placeholders and hostile incident fields."""

from __future__ import annotations

import dataclasses
import shlex
import time
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from playbooks_testkit import DETECTED, HANOI, make_incident

from secmon.playbooks import (
    PlaybookSet,
    StepState,
    load_playbooks,
    render_checklist,
    step_deadlines,
)

DATA = Path(__file__).resolve().parent / "data" / "playbooks"
NOW = DETECTED + timedelta(days=6)  # the 5-day notification deadline has passed

HOSTILE = {
    "src_ip": "<script>alert(1)</script>",
    "user": "'; rm -rf / #",
    "host": "$(reboot)",
}


@pytest.fixture(scope="module")
def books() -> PlaybookSet:
    return load_playbooks([DATA / "minimal"])


def ssh(books: PlaybookSet):
    playbook = books.get("ssh")
    assert playbook is not None
    return playbook


def test_step_deadlines(books: PlaybookSet):
    incident = make_incident()
    assert step_deadlines(ssh(books), incident) == {
        "verify": None,
        "ack": DETECTED + timedelta(minutes=15, hours=12),
        "block": None,
        "notify": DETECTED + timedelta(days=5),
        "form-03": DETECTED,
        "form-04": None,  # not resolved yet
        "review": None,
    }
    resolved = DETECTED + timedelta(days=2)
    due = step_deadlines(ssh(books), incident, resolved, acknowledged_at=DETECTED)
    assert due["form-04"] == resolved + timedelta(days=5)
    assert due["ack"] == DETECTED + timedelta(hours=12)
    assert step_deadlines(ssh(books), make_incident(resolved_at=resolved))["form-04"] == (
        resolved + timedelta(days=5)
    )


def test_text_checklist(books: PlaybookSet):
    done = {
        "verify": StepState(True, "an", DETECTED + timedelta(hours=1), "đã xem nhật ký"),
        "ack": StepState(True, "binh", DETECTED + timedelta(days=1)),
    }
    out = render_checklist(
        ssh(books), make_incident(), lang="en", fmt="text", done=done, now=NOW, tz=HANOI
    )
    assert (
        out
        == """\
Incident response checklist: SSH brute force
============================================
Incident #42: SSH brute force
  Playbook: SSH brute force (ssh)
  Category: brute force
  Severity: high
  Status: acknowledged
  Detected: 2026-03-14 13:20:00 +07:00
  First log line: 2026-03-14 13:10:00 +07:00
  Last log line: 2026-03-14 13:19:00 +07:00
  Matching log lines: 57
  Hosts: portal
  Log sources: /var/log/auth.log
  Key: src_ip=203.0.113.9
  Progress: 2/7 steps done, 1 overdue
  Generated: 2026-03-20 13:20:00 +07:00

203.0.113.9 guessed passwords of «user: không có / not available»

Detect and verify (Stage 1: receive, verify, first response)
------------------------------------------------------------

[x] 1. Verify 203.0.113.9 (verify)
    Done: an, 2026-03-14 14:20:00 +07:00
    Note: đã xem nhật ký
    Account «user: không có / not available»; since 2026-03-14 13:10:00 +07:00
    Commands:
      $ grep -F 203.0.113.9 /var/log/auth.log
      $ passwd -l '«user: không có / not available»'
      $ journalctl --since '2026-03-14 06:10:00 UTC' -u ssh
    * Keep the output as evidence in the evidence folder, with its SHA-256 hash.

[x] 2. Assign (ack)  <done late>
    Due: 2026-03-15 01:35:00 +07:00 (12 hours after acknowledgement)
    Done: binh, 2026-03-15 13:20:00 +07:00
    Assign someone

Contain (Stage 2: contain, limit the damage)
--------------------------------------------

[ ] 3. Block (block)
    Block 203.0.113.9
    Commands:
      $ ufw insert 1 deny from 203.0.113.9

Notify and report (Stage 1, 3: incident notification (1đ) and reports when the response ends)
---------------------------------------------------------------------------------------------

[ ] 4. Notify (notify)  <OVERDUE>
    Due: 2026-03-19 13:20:00 +07:00 (5 days after detection)
    Send the notification

[ ] 5. Form 03 (form-03)  <URGENT: DO NOW>
    Due: immediately (2026-03-14 13:20:00 +07:00)
    If needed

[ ] 6. Form 04 (form-04)
    Due: 5 days after the response ends (not yet known)
    Final report

Review (Stage 4: lessons learned)
---------------------------------

[ ] 7. Review (review)
    Lessons learned

--
Commands are for reference: secmon never runs them. Values taken from logs are
shell-quoted; read each command before running it.
Legal basis: Circular 20/2017/TT-BTTTT, Art. 11.
  Stage 1: Receive, analyse, first response and notify
  Stage 2: Respond, contain and handle the incident
  Stage 3: Eradicate, recover and check the system
  Stage 4: Review and evaluate
"""
    )


def test_marks_follow_the_clock_and_the_state(books: PlaybookSet):
    incident = make_incident()
    ack = {"ack": StepState(True, "an", DETECTED + timedelta(hours=1))}
    before = render_checklist(
        ssh(books), incident, lang="vi", fmt="text", now=DETECTED + timedelta(days=4), done=ack
    )
    assert "QUÁ HẠN" not in before
    assert "[ ] 4. Thông báo (notify)\n" in before
    after = render_checklist(
        ssh(books),
        incident,
        lang="vi",
        fmt="text",
        now=DETECTED + timedelta(days=5, seconds=1),
        done=ack,
    )
    assert "[ ] 4. Thông báo (notify)  <QUÁ HẠN>\n" in after
    assert "Tiến độ: 1/7 bước đã xong, 1 quá hạn\n" in after
    done = {
        **ack,
        "notify": StepState(True, at=DETECTED + timedelta(days=1)),
        "form-03": StepState(True),
    }
    finished = render_checklist(ssh(books), incident, lang="vi", fmt="text", now=NOW, done=done)
    assert "[x] 4. Thông báo (notify)\n" in finished
    assert "[x] 5. Mẫu 03 (form-03)\n" in finished
    assert "KHẨN" not in finished and "QUÁ HẠN" not in finished


def test_resolved_incident_has_final_report_due(books: PlaybookSet):
    incident = make_incident(status="resolved", resolved_at=DETECTED + timedelta(days=1))
    out = render_checklist(
        ssh(books), incident, lang="vi", fmt="text", now=DETECTED + timedelta(days=7), tz=HANOI
    )
    assert "[ ] 6. Mẫu 04 (form-04)  <QUÁ HẠN>\n" in out
    assert "Hạn: 2026-03-20 13:20:00 +07:00 (5 ngày sau khi kết thúc ứng phó)\n" in out
    assert "  Trạng thái: đã khắc phục (resolved)\n" in out


def test_missing_fields_render_as_visible_placeholders(books: PlaybookSet):
    incident = make_incident(key={}, hosts=())
    for fmt in ("text", "md", "html"):
        out = render_checklist(ssh(books), incident, lang="vi", fmt=fmt, now=NOW)
        assert "«src_ip: không có / not available»" in out
        assert "«user: không có / not available»" in out
    text = render_checklist(ssh(books), incident, lang="vi", fmt="text", now=NOW)
    assert "$ grep -F '«src_ip: không có / not available»' /var/log/auth.log\n" in text
    generic = render_checklist(books.fallback, incident, lang="en", fmt="text", now=NOW)
    assert "Look at «hosts: không có / not available»" in generic


def _commands(text: str) -> list[list[str]]:
    return [shlex.split(line.split("$ ", 1)[1]) for line in text.splitlines() if "  $ " in line]


def test_hostile_fields_stay_single_arguments_in_commands(books: PlaybookSet):
    incident = make_incident(key=HOSTILE, hosts=("a", "b"))
    out = render_checklist(ssh(books), incident, lang="en", fmt="text", now=NOW)
    assert _commands(out) == [
        ["grep", "-F", "<script>alert(1)</script>", "/var/log/auth.log"],
        ["passwd", "-l", "'; rm -rf / #"],
        ["journalctl", "--since", "2026-03-14 06:10:00 UTC", "-u", "ssh"],
        ["ufw", "insert", "1", "deny", "from", "<script>alert(1)</script>"],
    ]
    assert "$ passwd -l ''\"'\"'; rm -rf / #'\n" in out


def test_hostile_fields_are_escaped_in_html(books: PlaybookSet):
    incident = make_incident(key=HOSTILE, title={"vi": "<b>x</b>", "en": "<b>x</b>"})
    out = render_checklist(ssh(books), incident, lang="en", fmt="html", now=NOW)
    assert "<script>" not in out and "<b>x" not in out
    assert "<h3>☐ 1. Verify &lt;script&gt;alert(1)&lt;/script&gt; <code>verify</code></h3>" in out
    assert "<strong>Incident #42: &lt;b&gt;x&lt;/b&gt;</strong>" in out
    assert "passwd -l &#39;&#39;&#34;&#39;&#34;&#39;; rm -rf / #&#39;\n" in out
    assert "<tr><th>Key</th><td>host=$(reboot), src_ip=&lt;script&gt;" in out


def test_hostile_fields_are_escaped_in_markdown(books: PlaybookSet):
    incident = make_incident(key=HOSTILE)
    out = render_checklist(ssh(books), incident, lang="en", fmt="md", now=NOW)
    assert "<script>" not in out.split("```sh")[0]
    assert "### ☐ 1. Verify \\<script\\>alert(1)\\</script\\> (`verify`)\n" in out
    assert (
        "- **Key:** host=$(reboot), src\\_ip=\\<script\\>alert(1)\\</script\\>,"
        " user='; rm -rf / \\#\n" in out
    )
    # inside a code fence the command is literal and shell-quoted
    assert "```sh\nufw insert 1 deny from '<script>alert(1)</script>'\n```" in out


def test_newlines_and_control_characters_cannot_add_lines(books: PlaybookSet):
    incident = make_incident(key={"src_ip": "1.2.3.4\n[x] 9. Forged step\x1b[31m", "user": "u"})
    out = render_checklist(ssh(books), incident, lang="en", fmt="text", now=NOW)
    assert "\n[x] 9. Forged" not in out and "\x1b" not in out
    assert "$ grep -F '1.2.3.4\\x0a[x] 9. Forged step\\x1b[31m' /var/log/auth.log\n" in out


def test_a_value_cannot_become_a_command_option(books: PlaybookSet):
    incident = make_incident(key={"src_ip": "1.2.3.4", "user": "-d"})
    out = render_checklist(ssh(books), incident, lang="en", fmt="text", now=NOW)
    assert "$ passwd -l '«giá trị bắt đầu bằng - / value starts with -: -d»'\n" in out
    assert "Account -d; since" in out  # prose shows the value as it is


def test_a_64_kib_hostile_value_is_cut_and_fast(books: PlaybookSet):
    value = ("A' $(reboot) <script>" * 4000)[: 64 * 1024]
    incident = make_incident(key={"src_ip": value, "user": "`id`" * 16384})
    started = time.perf_counter()
    for fmt in ("text", "md", "html"):
        out = render_checklist(ssh(books), incident, lang="en", fmt=fmt, now=NOW)
        assert f"… [+{len(value) - 512} ký tự / chars]" in out
        assert len(out) < 40_000
    assert time.perf_counter() - started < 1.0


def test_markdown_fence_outlasts_backticks_in_values(books: PlaybookSet):
    incident = make_incident(key={"src_ip": "```\n# heading", "user": "u"})
    out = render_checklist(ssh(books), incident, lang="en", fmt="md", now=NOW)
    assert "````sh\ngrep -F '```\\x0a# heading' /var/log/auth.log\n" in out


def test_states_for_unknown_steps_are_listed_not_lost(books: PlaybookSet):
    done = {"old-step": StepState(True, "an"), "<x>": StepState(True)}
    out = render_checklist(ssh(books), make_incident(), lang="en", fmt="html", now=NOW, done=done)
    assert "<p>State recorded for steps no longer in this playbook: &lt;x&gt;, old-step</p>" in out


def test_times_show_in_the_zone_of_now_unless_told(books: PlaybookSet):
    utc = render_checklist(ssh(books), make_incident(), lang="en", fmt="text", now=NOW)
    assert "  Detected: 2026-03-14 06:20:00 +00:00\n" in utc
    hanoi = render_checklist(
        ssh(books), make_incident(), lang="en", fmt="text", now=NOW.astimezone(HANOI)
    )
    assert "  Detected: 2026-03-14 13:20:00 +07:00\n" in hanoi
    # commands use UTC either way
    assert (
        "--since '2026-03-14 06:10:00 UTC'" in utc and "--since '2026-03-14 06:10:00 UTC'" in hanoi
    )


def test_rendering_is_deterministic(books: PlaybookSet):
    first = render_checklist(ssh(books), make_incident(), lang="vi", fmt="html", now=NOW)
    again = render_checklist(ssh(books), make_incident(), lang="vi", fmt="html", now=NOW)
    assert first == again


def test_a_hand_built_playbook_renders_like_a_loaded_one(books: PlaybookSet):
    loaded = ssh(books)
    bare = dataclasses.replace(loaded, compiled={})
    assert render_checklist(bare, make_incident(), lang="en", fmt="md", now=NOW) == (
        render_checklist(loaded, make_incident(), lang="en", fmt="md", now=NOW)
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lang": "fr", "fmt": "text", "now": NOW}, "unknown language 'fr'; use one of vi, en"),
        (
            {"lang": "vi", "fmt": "pdf", "now": NOW},
            "unknown format 'pdf'; use one of text, md, html",
        ),
        (
            {"lang": "vi", "fmt": "text", "now": NOW.replace(tzinfo=None)},
            "render_checklist needs a tz-aware 'now'",
        ),
    ],
)
def test_bad_arguments(books: PlaybookSet, kwargs, message):
    with pytest.raises(ValueError) as info:
        render_checklist(ssh(books), make_incident(), **kwargs)
    assert str(info.value) == message


def test_now_in_utc_constant_is_aware():
    assert NOW.tzinfo is UTC
