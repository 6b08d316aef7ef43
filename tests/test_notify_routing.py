"""Which incident changes reach which route."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from secmon.config.model import DigestSettings
from secmon.incidents.model import Incident, IncidentChange
from secmon.notify.routing import ALERT, DIGEST, Route, alert_kind, dispositions, glob_pattern

T0 = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)
INCIDENT = Incident(
    id=7, category="brute-force", severity="high", status="new", key={"src_ip": "203.0.113.9"},
    title={"vi": "Dò mật khẩu SSH", "en": "SSH brute force"}, rule_ids=("ssh.brute-force",),
    first_seen=T0, last_seen=T0, count=12, detections=1, created_at=T0, updated_at=T0,
    hosts=("portal-1",),
)


def change(kind: str = "opened", **incident: object) -> IncidentChange:
    return IncidentChange(kind, replace(INCIDENT, **incident))  # type: ignore[arg-type]


def resolved(**incident: object) -> IncidentChange:
    return IncidentChange("status", replace(INCIDENT, status="resolved", **incident),  # type: ignore[arg-type]
                          fields={"old_status": "new", "new_status": "resolved", "by": "an"})


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        (change("opened"), "opened"),
        (change("escalated"), "escalated"),
        (change("reopened"), "reopened"),
        (change("updated"), None),
        (change("suppressed"), None),
        (resolved(), "resolved"),
        (IncidentChange("status", INCIDENT, fields={"new_status": "acknowledged"}), None),
        (IncidentChange("status", INCIDENT, fields={"new_status": "false_positive"}), None),
    ],
)
def test_which_changes_people_hear_of(item: IncidentChange, kind: str | None) -> None:
    assert alert_kind(item) == kind


def test_min_severity_and_scope() -> None:
    route = Route("r", min_severity="high", categories=frozenset({"brute-force"}),
                  rules=("ssh.*",), hosts=("portal-?",))
    assert route.disposition(change()) == ALERT
    assert route.disposition(change(severity="critical")) == ALERT
    assert route.disposition(change(severity="medium")) is None
    assert route.disposition(change(category="web-attack")) is None
    assert route.disposition(change(rule_ids=("web.sqli",))) is None
    assert route.disposition(change(rule_ids=("web.sqli", "ssh.root-login"))) == ALERT
    assert route.disposition(change(hosts=("portal-10",))) is None
    assert route.disposition(change(hosts=())) is None
    assert route.disposition(change(hosts=("mail", "portal-2"))) == ALERT
    assert route.disposition(change("updated")) is None


def test_resolution_only_on_routes_that_ask_for_it() -> None:
    assert Route("quiet").disposition(resolved()) is None
    assert Route("loud", on_resolve=True).disposition(resolved()) == ALERT
    assert Route("loud", on_resolve=True).disposition(resolved(severity="low")) is None


def test_minor_incidents_go_to_the_digest_of_routes_with_one() -> None:
    route = Route("r", min_severity="high", digest=DigestSettings(8, "low"))
    assert route.disposition(change(severity="medium")) == DIGEST
    assert route.disposition(change("escalated", severity="low")) == DIGEST
    assert route.disposition(change(severity="info")) is None
    assert route.disposition(change(severity="high")) == ALERT
    assert Route("r", min_severity="high", digest=DigestSettings(8, "low"),
                 on_resolve=True).disposition(resolved(severity="medium")) is None


def test_dispositions_keep_config_order() -> None:
    routes = [Route("mail", min_severity="low"), Route("chat", min_severity="critical"),
              Route("boss", min_severity="medium")]
    assert [(r.name, how) for r, how in dispositions(routes, change())] == [
        ("mail", ALERT), ("boss", ALERT)]


def test_wildcards_are_anchored_and_literal_otherwise() -> None:
    assert glob_pattern("ssh.*").fullmatch("ssh.brute-force")
    assert not glob_pattern("ssh.*").fullmatch("xssh.brute-force")
    assert not glob_pattern("ssh.*").fullmatch("sshXbrute")  # '.' is a dot, not any character
    assert glob_pattern("web-?").fullmatch("web-1")
    assert not glob_pattern("web-?").fullmatch("web-10")
