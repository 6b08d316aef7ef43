"""Stateful detectors through the engine: threshold, distinct, sequence, absence."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from rules_testkit import accepted, at, ev, failed, stateful

from secmon.events import Event
from secmon.rules.engine import DetectionEngine
from secmon.rules.snapshots import SnapshotError, event_from_plain, event_to_plain

BRUTE = """\
- id: ssh.brute-force
  title: {vi: Tấn công dò mật khẩu SSH, en: SSH brute force}
  category: brute-force
  severity: high
  tags: [attack.t1110]
  from: ssh.auth-failure
  threshold: {count: 10, within: 5m, by: [src_ip]}
  incident: {playbook: brute-force}
"""
SPRAY = """\
- id: ssh.password-spray
  title: {vi: Dò nhiều tài khoản, en: Password spraying}
  category: brute-force
  severity: high
  from: ssh.auth-failure
  distinct: {field: user, count: 5, within: 10m, by: [src_ip]}
"""
SEQUENCE = """\
- id: ssh.success-after-failures
  title: {vi: Thành công sau thất bại, en: Success after failures}
  category: account-compromise
  severity: critical
  sequence: {first: ssh.auth-failure, min_count: 5, then: ssh.login-accepted, within: 30m,
             by: [src_ip]}
"""
SILENT = """\
- id: ssh.silent
  title: {vi: Không có đăng nhập, en: No logins}
  category: availability
  severity: medium
  from: ssh.login-accepted
  absence: {within: 2h, by: [host]}
"""
IP = "203.0.113.9"
OTHER = "198.51.100.7"


def run(engine: DetectionEngine, events) -> list:
    found = []
    for event in events:
        found.extend(engine.process(event))
    return found


def summary(detections) -> list[tuple]:
    return [(d.rule_id, d.key, d.count, d.first_seen, d.last_seen) for d in detections]


# ------------------------------------------------------------------ threshold


def test_threshold_fires_at_count_not_before(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE))
    assert run(engine, [failed(IP, t) for t in range(9)]) == []
    [found] = engine.process(failed(IP, 9))
    assert summary([found]) == [("ssh.brute-force", (("src_ip", IP),), 10, at(0), at(9))]
    assert found.title == {"vi": "Tấn công dò mật khẩu SSH", "en": "SSH brute force"}
    assert (found.category, found.severity, found.tags, found.playbook) == (
        "brute-force",
        "high",
        ("attack.t1110",),
        "brute-force",
    )
    assert found.source == "/var/log/auth.log"
    assert [e.time for e in found.evidence] == [at(t) for t in range(10)]


def test_threshold_window_is_inclusive_at_its_boundary(tmp_path):
    rules = stateful(tmp_path, BRUTE.replace("count: 10", "count: 2"))
    engine = DetectionEngine(rules)
    assert summary(run(engine, [failed(IP, 0), failed(IP, 300)])) == [
        ("ssh.brute-force", (("src_ip", IP),), 2, at(0), at(300))
    ]
    engine = DetectionEngine(rules)
    assert run(engine, [failed(IP, 0), failed(IP, 301)]) == []
    # the late one still counts with the next within its window
    assert summary(engine.process(failed(IP, 400))) == [
        ("ssh.brute-force", (("src_ip", IP),), 2, at(301), at(400))
    ]


def test_threshold_keeps_keys_apart(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE))
    events = [failed(IP if n % 2 else OTHER, n) for n in range(18)]
    assert run(engine, events) == []
    assert engine.state_size()["ssh.brute-force"] == 2
    assert summary(engine.process(failed(OTHER, 18))) == [
        ("ssh.brute-force", (("src_ip", OTHER),), 10, at(0), at(18))
    ]


def test_threshold_counts_out_of_order_events_within_the_window(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE))
    times = [100, 40, 160, 10, 130, 70, 190, 20, 50]
    assert run(engine, [failed(IP, t) for t in times]) == []
    [found] = engine.process(failed(IP, 5))
    assert (found.count, found.first_seen, found.last_seen) == (10, at(5), at(190))
    assert [e.time for e in found.evidence] == [at(t) for t in sorted(times + [5])]


def test_threshold_restarts_after_firing(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE))
    found = run(engine, [failed(IP, t) for t in range(25)])
    assert summary(found) == [
        ("ssh.brute-force", (("src_ip", IP),), 10, at(0), at(9)),
        ("ssh.brute-force", (("src_ip", IP),), 10, at(10), at(19)),
    ]
    assert summary(run(engine, [failed(IP, t) for t in range(25, 30)])) == [
        ("ssh.brute-force", (("src_ip", IP),), 10, at(20), at(29))
    ]


def test_evidence_is_the_first_five_and_last_five(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE.replace("count: 10", "count: 15")))
    [found] = run(engine, [failed(IP, t) for t in range(15)])
    assert found.count == 15
    assert [e.time for e in found.evidence] == [at(t) for t in (0, 1, 2, 3, 4, 10, 11, 12, 13, 14)]


def repeated(ip: str, t: float, times: int) -> Event:
    """rsyslog's "message repeated N times" line, as the syslog parser gives it."""
    return ev(f"Failed password for root from {ip} port 50273 ssh2", t=t, repeat=times)


def test_threshold_counts_a_repeated_line_as_its_repeats(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE))
    assert run(engine, [failed(IP, 0), repeated(IP, 4, 5)]) == []  # 6 of 10
    [found] = run(engine, [failed(IP, 10), repeated(IP, 14, 5)])
    assert summary([found]) == [("ssh.brute-force", (("src_ip", IP),), 12, at(0), at(14))]
    # evidence: each line once, however many matches it stood for
    assert [e.time for e in found.evidence] == [at(0), at(4), at(10), at(14)]


def test_a_repeat_count_from_the_log_is_bounded(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE))
    [found] = engine.process(repeated(IP, 0, 999_999_999))
    assert found.count == 10  # no more copies kept than the rule needs
    assert engine.state_size()["ssh.brute-force"] == 0


def test_sequence_counts_repeated_failures_but_distinct_counts_values(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SEQUENCE))
    [found] = run(engine, [repeated(IP, 0, 5), accepted(IP, 60)])
    assert found.rule_id == "ssh.success-after-failures"
    engine = DetectionEngine(stateful(tmp_path, SPRAY))
    assert run(engine, [repeated(IP, 0, 50)]) == []  # one user, however often


def test_windows_expire_as_event_time_passes(tmp_path):
    rules = stateful(tmp_path, BRUTE.replace("within: 5m", "within: 1m"))
    engine = DetectionEngine(rules)
    # a botnet: every address fails once, one per second for 5000 s
    run(engine, [failed(f"203.0.{n // 250}.{n % 250}", n) for n in range(5000)])
    held = engine.state_size()["ssh.brute-force"]
    assert 60 <= held <= 70  # the last minute, plus at most one sweep interval (7.5 s)


def test_key_cap_evicts_the_least_recently_updated(tmp_path):
    engine = DetectionEngine(
        stateful(tmp_path, BRUTE.replace("count: 10", "count: 3")), max_keys_per_rule=3
    )
    run(engine, [failed(IP, 0), failed(IP, 1)])
    run(engine, [failed(f"192.0.2.{n}", 2) for n in range(3)])
    assert engine.state_size()["ssh.brute-force"] == 3
    # IP's two failures were evicted: one more is not enough
    assert engine.process(failed(IP, 3)) == []
    engine = DetectionEngine(
        stateful(tmp_path, BRUTE.replace("count: 10", "count: 3")), max_keys_per_rule=100
    )
    run(engine, [failed(f"10.{n // 256}.{n % 256}.1", 0) for n in range(1000)])
    assert engine.state_size()["ssh.brute-force"] == 100


def test_chained_threshold_counts_detections(tmp_path):
    persistent = """\
- id: ssh.brute-force-persistent
  title: {vi: Dò mật khẩu kéo dài, en: Persistent brute force}
  category: brute-force
  severity: critical
  from: ssh.brute-force
  threshold: {count: 2, within: 1h, by: [src_ip]}
"""
    engine = DetectionEngine(stateful(tmp_path, BRUTE + persistent))
    found = run(engine, [failed(IP, t) for t in range(20)])
    assert [(d.rule_id, d.count, d.first_seen, d.last_seen) for d in found] == [
        ("ssh.brute-force", 10, at(0), at(9)),
        ("ssh.brute-force", 10, at(10), at(19)),
        ("ssh.brute-force-persistent", 2, at(9), at(19)),
    ]
    assert found[2].key == (("src_ip", IP),)


# ------------------------------------------------------------------ distinct


def test_distinct_counts_distinct_values_only(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SPRAY))
    users = ["root", "admin", "root", "oracle", "admin", "test"]
    assert run(engine, [failed(IP, n, user) for n, user in enumerate(users)]) == []
    [found] = engine.process(failed(IP, 6, "ubuntu"))
    # one event per value (its latest match), in time order
    assert summary([found]) == [("ssh.password-spray", (("src_ip", IP),), 5, at(2), at(6))]
    assert [e.time for e in found.evidence] == [at(2), at(3), at(4), at(5), at(6)]
    # restarted: the next four users are not enough
    assert run(engine, [failed(IP, 7 + n, u) for n, u in enumerate("abcd")]) == []
    assert len(engine.process(failed(IP, 11, "e"))) == 1


def test_distinct_window_and_keys(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SPRAY))
    events = [failed(IP, 0, "u0")] + [failed(IP, 600, f"u{n}") for n in range(1, 4)]
    assert run(engine, events) == []
    [found] = engine.process(failed(IP, 600, "u4"))  # u0 is exactly 10 minutes old: inside
    assert (found.count, found.first_seen) == (5, at(0))
    engine = DetectionEngine(stateful(tmp_path, SPRAY))
    events = [failed(IP, 0, "u0")] + [failed(IP, 601, f"u{n}") for n in range(1, 5)]
    assert run(engine, events) == []  # u0 fell out of the window
    events = [failed(IP if n % 2 else OTHER, n, f"u{n}") for n in range(8)]
    assert run(DetectionEngine(stateful(tmp_path, SPRAY)), events) == []


def test_distinct_ignores_matches_without_the_field(tmp_path):
    rules = stateful(tmp_path, SPRAY.replace("field: user", "field: port"))
    engine = DetectionEngine(rules)
    assert run(engine, [failed(IP, n, f"u{n}") for n in range(10)]) == []
    assert engine.state_size()["ssh.password-spray"] == 0


# ------------------------------------------------------------------ sequence


def test_sequence_fires_when_then_follows_enough_firsts(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SEQUENCE))
    assert run(engine, [failed(IP, t) for t in range(5)]) == []
    [found] = engine.process(accepted(IP, 60))
    assert summary([found]) == [("ssh.success-after-failures", (("src_ip", IP),), 6, at(0), at(60))]
    assert found.evidence[-1].message.startswith("Accepted password")
    # restarted: another success right after is not a new detection
    assert engine.process(accepted(IP, 61)) == []


def test_sequence_needs_min_count_firsts_before_then_within_the_window(tmp_path):
    rules = stateful(tmp_path, SEQUENCE)
    engine = DetectionEngine(rules)
    assert run(engine, [failed(IP, t) for t in range(4)] + [accepted(IP, 10)]) == []
    engine = DetectionEngine(rules)
    assert run(engine, [accepted(IP, 0)] + [failed(IP, t) for t in range(1, 6)]) == []
    engine = DetectionEngine(rules)
    assert run(engine, [failed(IP, t) for t in range(5)] + [accepted(IP, 1801)]) == []
    engine = DetectionEngine(rules)
    assert summary(run(engine, [failed(IP, t) for t in range(5)] + [accepted(IP, 1800)])) == [
        ("ssh.success-after-failures", (("src_ip", IP),), 6, at(0), at(1800))
    ]
    engine = DetectionEngine(rules)
    assert run(engine, [failed(OTHER, t) for t in range(5)] + [accepted(IP, 10)]) == []
    # failures logged after the success (out of order) do not count for it
    engine = DetectionEngine(rules)
    events = [failed(IP, t) for t in (1, 2, 3, 4)] + [failed(IP, 50), accepted(IP, 40)]
    assert run(engine, events) == []


# ------------------------------------------------------------------ absence


def test_absence_fires_once_when_a_key_falls_silent(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SILENT))
    assert run(engine, [accepted("10.0.0.5", 0)]) == []
    noise = [failed(IP, t) for t in (3600, 7200)]
    assert run(engine, noise) == []  # exactly 2h of silence is not yet too long
    [found] = engine.process(failed(IP, 7201))
    assert summary([found]) == [("ssh.silent", (("host", "portal"),), 0, at(0), at(7201))]
    assert found.evidence[0].message.startswith("Accepted")
    assert found.source == "/var/log/auth.log"
    assert run(engine, [failed(IP, t) for t in (9000, 20000)]) == []  # once only
    # re-armed by the next match
    assert run(engine, [accepted("10.0.0.5", 30000), failed(IP, 30000 + 7201)]) != []


def test_absence_gap_inside_the_stream_reports_the_silent_interval(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SILENT))
    found = run(engine, [accepted("10.0.0.5", 0), accepted("10.0.0.5", 3 * 3600)])
    assert summary(found) == [("ssh.silent", (("host", "portal"),), 0, at(0), at(10800))]
    assert [e.time for e in found[0].evidence] == [at(0), at(10800)]


def test_absence_keeps_keys_apart_and_fires_on_advance(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SILENT))
    run(
        engine,
        [
            accepted("10.0.0.5", 0),
            ev("Accepted password for a from 10.0.0.6 port 1 ssh2", t=3000, host="mail"),
        ],
    )
    assert engine.advance(at(7200)) == []
    assert summary(engine.advance(at(7300))) == [
        ("ssh.silent", (("host", "portal"),), 0, at(0), at(7300))
    ]
    assert summary(engine.advance(at(12000))) == [
        ("ssh.silent", (("host", "mail"),), 0, at(3000), at(12000))
    ]
    assert engine.advance(at(99999)) == []


def test_finish_fires_nothing_and_drops_state(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SILENT + BRUTE))
    run(engine, [accepted("10.0.0.5", 0)] + [failed(IP, t) for t in range(9)])
    assert engine.finish() == []
    assert engine.state_size() == {"ssh.silent": 0, "ssh.brute-force": 0}
    assert engine.process(failed(IP, 10)) == []
    assert engine.advance(at(99999)) == []


# ------------------------------------------------------------------ snapshots


def roundtrip(engine: DetectionEngine, rules, **kwargs) -> DetectionEngine:
    data = json.loads(json.dumps(engine.snapshot()))
    restored = DetectionEngine(rules, **kwargs)
    restored.restore(data)
    return restored


def test_snapshot_restore_mid_attack(tmp_path):
    rules = stateful(tmp_path, BRUTE + SPRAY + SEQUENCE + SILENT)
    engine = DetectionEngine(rules)
    users = ["root", "admin", "oracle", "test"]
    run(engine, [accepted("10.0.0.5", 0)] + [failed(IP, 1 + n, u) for n, u in enumerate(users)])
    engine = roundtrip(engine, rules)
    assert engine.state_size() == {
        "ssh.brute-force": 1,
        "ssh.password-spray": 1,
        "ssh.success-after-failures": 1,
        "ssh.silent": 1,
    }
    found = run(engine, [failed(IP, 5 + n, "ubuntu") for n in range(6)])
    assert summary(found) == [
        ("ssh.password-spray", (("src_ip", IP),), 5, at(1), at(5)),
        ("ssh.brute-force", (("src_ip", IP),), 10, at(1), at(10)),
    ]
    assert (
        found[1].evidence[0].message == "Failed password for root from 203.0.113.9 port 50273 ssh2"
    )
    assert found[1].evidence[0].time == at(1)
    engine = roundtrip(engine, rules)
    assert summary(engine.advance(at(8000))) == [
        ("ssh.silent", (("host", "portal"),), 0, at(0), at(8000))
    ]


def test_snapshot_restore_sequence(tmp_path):
    rules = stateful(tmp_path, SEQUENCE)
    engine = DetectionEngine(rules)
    run(engine, [failed(IP, t) for t in range(5)])
    engine = roundtrip(engine, rules)
    assert summary(engine.process(accepted(IP, 9))) == [
        ("ssh.success-after-failures", (("src_ip", IP),), 6, at(0), at(9))
    ]


def test_snapshot_is_bounded_in_keys_and_evidence(tmp_path):
    rules = stateful(tmp_path, BRUTE)
    engine = DetectionEngine(rules, snapshot_keys=5, snapshot_events=7)
    run(engine, [failed(f"192.0.2.{n}", n) for n in range(10)])
    run(engine, [failed(IP, 10 + n) for n in range(3)])
    data = engine.snapshot()
    rule = data["rules"]["ssh.brute-force"]
    assert [key for key, _ in rule["keys"]] == [
        ["192.0.2.6"],
        ["192.0.2.7"],
        ["192.0.2.8"],
        ["192.0.2.9"],
        [IP],
    ]
    assert len(rule["events"]) == 7
    restored = roundtrip(engine, rules)
    assert restored.state_size() == {"ssh.brute-force": 5}
    # events beyond the budget were dropped, their times kept: counts stay right
    found = run(restored, [failed(IP, 20 + n) for n in range(7)])
    assert [(d.count, d.first_seen, len(d.evidence)) for d in found] == [(10, at(10), 10)]


def test_restore_skips_rules_that_changed_kind_or_went_away(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE))
    run(engine, [failed(IP, t) for t in range(9)])
    data = engine.snapshot()
    changed = stateful(
        tmp_path,
        BRUTE.replace(
            "threshold: {count: 10, within: 5m, by: [src_ip]}",
            "distinct: {field: user, count: 2, within: 5m, by: [src_ip]}",
        ),
    )
    restored = DetectionEngine(changed)
    restored.restore(data)
    assert restored.state_size() == {"ssh.brute-force": 0}
    other = DetectionEngine(stateful(tmp_path, SPRAY))
    other.restore(data)
    assert other.state_size() == {"ssh.password-spray": 0}


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {},
            "the saved detector state has an unknown format; it will be rebuilt from new log "
            "lines (delete the saved state to silence this)",
        ),
        (
            {"version": 1, "rules": {"ssh.brute-force": {"kind": "threshold"}}},
            "the saved detector state is damaged ('events'); starting with empty state",
        ),
        (
            {
                "version": 1,
                "rules": {
                    "ssh.brute-force": {
                        "kind": "threshold",
                        "events": [],
                        "keys": [[["1.2.3.4"], [["yesterday", None]]]],
                    }
                },
            },
            "the saved detector state is damaged (Invalid isoformat string: 'yesterday'); "
            "starting with empty state",
        ),
    ],
)
def test_restore_refuses_damaged_snapshots(tmp_path, data, message):
    engine = DetectionEngine(stateful(tmp_path, BRUTE))
    with pytest.raises(SnapshotError) as caught:
        engine.restore(data)
    assert str(caught.value) == message
    assert engine.state_size() == {"ssh.brute-force": 0}


def test_events_survive_a_snapshot_as_plain_data():
    hanoi = timezone(timedelta(hours=7))
    event = Event(
        time=datetime(2026, 3, 14, 13, 0, 1, tzinfo=hanoi),
        source="/var/log/auth.log",
        parser="syslog",
        message="Failed",
        raw="Mar 14 13:00:01 portal sshd: Failed",
        host="portal",
        program="sshd",
        line_no=7,
        offset=120,
        fields={"status": 404, "ok": True, "none": None, "when": at(0)},
    )
    plain = json.loads(json.dumps(event_to_plain(event)))
    back = event_from_plain(plain)
    assert back.time == event.time and back.time.utcoffset() == timedelta(hours=7)
    assert back.fields == {
        "status": 404,
        "ok": True,
        "none": None,
        "when": "2026-03-14 06:00:00+00:00",
    }
    assert (back.source, back.raw, back.host, back.program, back.line_no, back.offset) == (
        "/var/log/auth.log",
        "Mar 14 13:00:01 portal sshd: Failed",
        "portal",
        "sshd",
        7,
        120,
    )
    with pytest.raises(ValueError):
        event_from_plain({**plain, "time": "2026-03-14T06:00:00"})
