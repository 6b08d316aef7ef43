"""Playbook model: deadline expressions, the phase table, choosing a playbook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from secmon.playbooks import (
    PHASE_INFO,
    PHASES,
    AppliesTo,
    Deadline,
    LocalText,
    Playbook,
    PlaybookSet,
    parse_deadline,
)
from secmon.playbooks.stages import LEGAL_STAGES, stage_label


@pytest.mark.parametrize(
    ("text", "anchor", "offset", "expression"),
    [
        ("detected + 5d", "detected", timedelta(days=5), "detected + 5d"),
        ("resolved+5d", "resolved", timedelta(days=5), "resolved + 5d"),
        ("  acknowledged +  12h ", "acknowledged", timedelta(hours=12), "acknowledged + 12h"),
        ("detected + 48h", "detected", timedelta(hours=48), "detected + 2d"),
        ("immediately", None, timedelta(0), "immediately"),
    ],
)
def test_deadline_expressions(text, anchor, offset, expression):
    deadline = parse_deadline(text)
    assert (deadline.anchor, deadline.offset, deadline.expression) == (anchor, offset, expression)
    assert deadline.immediate is (anchor is None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "soon",
            "deadline 'soon' is not 'immediately' or '<anchor> + <N>d|h' (e.g. 'detected + 5d')",
        ),
        (
            "immediatly",
            "deadline 'immediatly' is not 'immediately' or '<anchor> + <N>d|h'"
            " (e.g. 'detected + 5d') (did you mean 'immediately'?)",
        ),
        (
            "detectd + 5d",
            "unknown deadline anchor 'detectd' (did you mean 'detected'?);"
            " use one of detected, acknowledged, resolved",
        ),
        (
            "created + 5d",
            "unknown deadline anchor 'created'; use one of detected, acknowledged, resolved",
        ),
        (
            "detected + 5 days",
            "deadline offset '5 days' must be a whole number of days or hours, like '5d' or '12h'",
        ),
        (
            "detected + 5w",
            "deadline offset '5w' must be a whole number of days or hours, like '5d' or '12h'",
        ),
        (
            "detected + -5d",
            "deadline offset '-5d' must be a whole number of days or hours, like '5d' or '12h'",
        ),
        (
            "detected + ５d",
            "deadline offset '５d' must be a whole number of days or hours, like '5d' or '12h'",
        ),
        ("detected + 0d", "deadline offset '0d' must be between 1 and 9999"),
        ("detected + 10000h", "deadline offset '10000h' must be between 1 and 9999"),
    ],
)
def test_bad_deadline_expressions_say_what_is_wrong(text, message):
    with pytest.raises(ValueError) as info:
        parse_deadline(text)
    assert str(info.value) == message


def test_deadline_due_counts_from_its_anchor():
    start = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)
    anchors = {"detected": start, "acknowledged": None, "resolved": start + timedelta(days=2)}
    assert parse_deadline("detected + 5d").due(anchors) == start + timedelta(days=5)
    assert parse_deadline("resolved + 5d").due(anchors) == start + timedelta(days=7)
    assert parse_deadline("acknowledged + 1h").due(anchors) is None
    assert parse_deadline("immediately").due(anchors) == start


def test_every_phase_maps_to_legal_stages():
    assert tuple(PHASE_INFO) == PHASES
    assert {n for info in PHASE_INFO.values() for n in info.stages} == set(LEGAL_STAGES)
    assert PHASE_INFO["detect"].stages == ("1",)
    assert PHASE_INFO["contain"].stages == ("2",)
    assert PHASE_INFO["eradicate"].stages == PHASE_INFO["recover"].stages == ("3",)
    assert PHASE_INFO["report"].stages == ("1", "3")
    assert PHASE_INFO["review"].stages == ("4",)
    assert stage_label("report", "en") == (
        "Stage 1, 3: incident notification (1đ) and reports when the response ends"
    )
    assert stage_label("review", "vi") == "Giai đoạn 4: rút kinh nghiệm"


def test_local_text_refuses_unknown_languages():
    text = LocalText(vi="xin chào", en="hello")
    assert (text.get("vi"), text.get("en")) == ("xin chào", "hello")
    with pytest.raises(ValueError):
        text.get("fr")


def _playbook(pid: str, **applies) -> Playbook:
    return Playbook(pid, LocalText(pid, pid), LocalText("", ""), AppliesTo(**applies), ())


def _set() -> PlaybookSet:
    books = {
        "generic": _playbook("generic", fallback=True),
        "ssh": _playbook("ssh", categories=("brute-force",), rules=("ssh.brute-force",)),
        "compromise": _playbook("compromise", rules=("ssh.success-after-failures",)),
    }
    return PlaybookSet(
        playbooks=books,
        by_rule={"ssh.brute-force": "ssh", "ssh.success-after-failures": "compromise"},
        by_category={"brute-force": "ssh"},
        fallback_id="generic",
    )


def test_rule_match_beats_category_and_the_first_claimed_rule_wins():
    books = _set()
    assert books.for_incident("brute-force", ["ssh.success-after-failures"]).id == "compromise"
    assert books.for_incident("brute-force", ["x.unclaimed", "ssh.brute-force"]).id == "ssh"
    assert (
        books.for_incident("policy", ["ssh.success-after-failures", "ssh.brute-force"]).id
        == "compromise"
    )


def test_category_then_fallback():
    books = _set()
    assert books.for_incident("brute-force", []).id == "ssh"
    assert books.for_incident("dos", ["web.flood"]).id == "generic"


def test_preferred_playbook_wins_when_loaded():
    books = _set()
    assert books.for_incident("dos", [], preferred="ssh").id == "ssh"
    assert books.for_incident("brute-force", [], preferred="not-loaded").id == "ssh"


def test_set_iterates_by_id_and_knows_its_members():
    books = _set()
    assert [pb.id for pb in books] == ["compromise", "generic", "ssh"]
    assert len(books) == 3
    assert "ssh" in books and "nope" not in books
    assert books.get("nope") is None
    assert books.fallback.id == "generic"


def test_deadline_is_a_value():
    assert Deadline("detected", timedelta(days=5)) == parse_deadline("detected + 5d")
