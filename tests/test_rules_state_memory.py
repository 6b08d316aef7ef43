"""Detector state stays small: compact records per match, Events only when a rule fires."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

from rules_testkit import accepted, at, ev, failed, stateful

from secmon.events import Event
from secmon.rules.engine import DetectionEngine
from secmon.rules.hits import EVIDENCE_RAW_CHARS, event_of, item_of

BRUTE = """\
- id: ssh.brute-force
  title: {vi: Tấn công dò mật khẩu SSH, en: SSH brute force}
  category: brute-force
  severity: high
  from: ssh.auth-failure
  threshold: {count: 15, within: 5m, by: [src_ip]}
"""
SPRAY = """\
- id: ssh.password-spray
  title: {vi: Dò nhiều tài khoản, en: Password spraying}
  category: brute-force
  severity: high
  from: ssh.auth-failure
  distinct: {field: user, count: 12, within: 10m, by: [src_ip]}
"""
SEQUENCE = """\
- id: ssh.success-after-failures
  title: {vi: Thành công sau thất bại, en: Success after failures}
  category: account-compromise
  severity: critical
  sequence: {first: ssh.auth-failure, min_count: 11, then: ssh.login-accepted, within: 30m,
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
ALL = BRUTE + SPRAY + SEQUENCE + SILENT
IP = "203.0.113.9"


def run(engine: DetectionEngine, events) -> list:
    found = []
    for event in events:
        found.extend(engine.process(event))
    return found


def walk(value, seen=None):
    """Every object reachable from `value` through tuples, lists, dicts and deques."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    yield value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(k, seen)
            yield from walk(v, seen)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from walk(v, seen)


def held(engine: DetectionEngine) -> list:
    """Everything the per-key states of `engine` reach (keys included)."""
    seen: set[int] = set()
    return [
        obj
        for d in engine._detectors.values()
        for key, state in d.keys.items()
        for obj in [*walk(key, seen), *walk(state, seen)]
    ]


def with_port(event: Event, port: str) -> Event:
    """The event with a bulky fields dict, as real parsers give."""
    return replace(event, fields={"port": port, "pid": "811", "extra": "x" * 200})


def test_key_state_holds_no_events_and_no_fields_dicts(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, ALL))
    users = [f"u{n}" for n in range(10)]
    events = [with_port(failed(IP, n, users[n]), str(n)) for n in range(10)]
    events.append(with_port(accepted("10.0.0.5", 20), "1"))
    assert run(engine, events) == []
    assert engine.state_size() == {
        "ssh.brute-force": 1,
        "ssh.password-spray": 1,
        "ssh.success-after-failures": 1,
        "ssh.silent": 1,
    }
    objects = held(engine)
    assert [o for o in objects if isinstance(o, Event)] == []
    # no parser fields dict survives (the only dicts are distinct's value -> record maps)
    assert [o for o in objects if isinstance(o, dict) and "port" in o] == []
    assert "x" * 200 not in [o for o in objects if isinstance(o, str)]


def test_one_record_is_small():
    event = with_port(failed(IP, 0), "50273")
    item = item_of(event.time.timestamp(), event.time, event)
    # the record itself: a 10-slot tuple; message is stored as a length into raw
    assert sys.getsizeof(item) == sys.getsizeof(tuple(range(10)))
    assert item[2] is event.raw
    assert item[3] == len(event.message)
    assert sum(sys.getsizeof(o) for o in item[3:]) < 400  # everything but ts/time/raw


def test_raw_is_cut_and_light_event_rebuilt():
    hostile = "Failed password for root from 203.0.113.9 " + "A" * 65536
    event = replace(ev(hostile, t=3), raw="Mar 14 06:00:03 portal sshd[1]: " + hostile)
    event = replace(event, line_no=42, offset=4096)
    item = item_of(event.time.timestamp(), event.time, event)
    assert len(item[2]) == EVIDENCE_RAW_CHARS
    light = event_of(item)
    assert light == Event(
        time=at(3),
        source="/var/log/auth.log",
        parser="syslog",
        message=hostile[:EVIDENCE_RAW_CHARS],
        raw=event.raw[:EVIDENCE_RAW_CHARS],
        host="portal",
        program="sshd",
        fields={},
        line_no=42,
        offset=4096,
    )
    assert event_of((1.0, at(1))) is None


def test_threshold_evidence_first_five_last_five_with_lines(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE))
    events = [replace(failed(IP, t), line_no=t + 1, offset=100 * t) for t in range(15)]
    [found] = run(engine, events)
    picked = (0, 1, 2, 3, 4, 10, 11, 12, 13, 14)
    assert [(e.time, e.line_no, e.offset, e.raw) for e in found.evidence] == [
        (at(t), t + 1, 100 * t, events[t].raw) for t in picked
    ]
    assert [e.message for e in found.evidence] == [events[t].message for t in picked]
    # the match that fired is the full Event (rules built on this one read its fields)
    assert found.evidence[-1] is events[-1]
    assert found.evidence[0].fields == {}
    assert engine.state_size() == {"ssh.brute-force": 0}


def test_distinct_and_sequence_evidence_first_five_last_five(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SPRAY + SEQUENCE))
    events = [failed(IP, t, f"user{t}") for t in range(12)]
    [spray] = run(engine, events)
    assert spray.rule_id == "ssh.password-spray"
    assert [e.time for e in spray.evidence] == [at(t) for t in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]
    assert spray.evidence[-1] is events[-1]
    login = accepted(IP, 100)
    [seq] = engine.process(login)
    assert (seq.rule_id, seq.count) == ("ssh.success-after-failures", 13)
    assert [e.time for e in seq.evidence] == [at(t) for t in (0, 1, 2, 3, 4, 8, 9, 10, 11, 100)]
    assert seq.evidence[0].raw == events[0].raw
    assert seq.evidence[-1] is login


def test_snapshot_of_compact_state_round_trips_and_old_snapshots_load(tmp_path):
    rules = stateful(tmp_path, BRUTE)
    engine = DetectionEngine(rules)
    run(engine, [with_port(failed(IP, t), "1") for t in range(10)])
    data = json.loads(json.dumps(engine.snapshot()))
    # snapshots written before compact state carried the fields of each event
    assert data["rules"]["ssh.brute-force"]["events"][0]["fields"] == {}
    data["rules"]["ssh.brute-force"]["events"][0]["fields"] = {"src_ip": IP, "port": "1"}
    restored = DetectionEngine(rules)
    restored.restore(data)
    assert [o for o in held(restored) if isinstance(o, (Event, dict))] == []
    found = run(restored, [failed(IP, t) for t in range(10, 15)])
    assert [(d.count, d.first_seen, d.last_seen) for d in found] == [(15, at(0), at(14))]
    assert found[0].evidence[0].raw == failed(IP, 0).raw


def test_absence_evidence_from_a_record(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SILENT))
    login = with_port(accepted("10.0.0.5", 0), "9")
    run(engine, [login])
    [found] = engine.advance(at(8000))
    [evidence] = found.evidence
    assert (evidence.time, evidence.raw, evidence.message, evidence.fields) == (
        at(0),
        login.raw,
        login.message,
        {},
    )


def test_rules_fed_by_one_match_share_one_record_and_key(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, BRUTE + SPRAY + SEQUENCE))
    run(engine, [failed(IP, 0)])
    states = [d.keys for d in engine._detectors.values()]
    [(key1, [brute])] = states[0].items()
    [(key2, spray)] = states[1].items()
    [(key3, [first])] = states[2].items()
    assert key1 is key2 is key3
    assert brute is spray["root"] is first
