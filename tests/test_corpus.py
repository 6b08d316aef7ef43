"""The log corpus generator (bench/corpus.py): reproducible, ordered, honest about its truth."""

from __future__ import annotations

import json
import re
import time
import tracemalloc
from collections import Counter, deque
from datetime import UTC, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from random import Random

import corpus
import pytest
from corpuslib.common import STAFF, AddressBook
from corpuslib.truth import Truth

from secmon.builtin import demo_data_dir
from secmon.events import CATEGORIES
from secmon.parsers.base import ParseContext
from secmon.parsers.registry import make_parser

KINDS = ("auth", "access", "mail")
VN = timezone(timedelta(hours=7))
MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")


MONDAY = datetime(2026, 3, 16, 6, 0, tzinfo=VN)


def _lines(kind: str, lines: int, seed: int, **options) -> tuple[list[str], Truth]:
    generated = corpus.generate(kind, lines, seed, **options)
    return list(generated.lines), generated.truth


def _stamp(kind: str, line: str, year: int = 2026) -> datetime:
    """The time stamp of one generated line, in whichever format it was written."""
    if kind == "access":
        stamp = line[line.index("[") + 1 : line.index("]")]
        return datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z")
    if line[:4].isdigit():
        return datetime.fromisoformat(line.split(" ", 1)[0])
    month, day, hms = line[:3], int(line[4:6]), line[7:15]
    hour, minute, second = (int(x) for x in hms.split(":"))
    return datetime(year, MONTHS[month], day, hour, minute, second, tzinfo=VN)


def _addresses(line: str) -> set[str]:
    return set(IPV4.findall(line))


@pytest.fixture(scope="module")
def sample() -> dict[str, tuple[list[str], Truth]]:
    """12,000 lines of each kind over a working Monday, generated once for several tests."""
    return {
        kind: _lines(kind, 12_000, 7, start=MONDAY, duration=timedelta(hours=14)) for kind in KINDS
    }


# --------------------------------------------------------------------------- reproducible


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_the_same_bytes(tmp_path: Path, kind: str):
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    truth_a = corpus.write(kind, first, 4000, seed=11, truth_path=tmp_path / "a.json")
    truth_b = corpus.write(kind, second, 4000, seed=11, truth_path=tmp_path / "b.json")
    assert first.read_bytes() == second.read_bytes()
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert truth_a == truth_b
    lines, _ = _lines(kind, 4000, 11)
    assert first.read_text(encoding="utf-8") == "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", KINDS)
def test_different_seeds_differ(kind: str):
    a, truth_a = _lines(kind, 2000, 1)
    b, truth_b = _lines(kind, 2000, 2)
    assert len(a) == len(b) == 2000
    assert len(set(a) & set(b)) < 200  # only the odd identical cron or monitor line
    assert truth_a.notes != truth_b.notes


# --------------------------------------------------------------------------- well-formed


@pytest.mark.parametrize("kind", KINDS)
def test_timestamps_never_go_back(sample, kind: str):
    lines, _ = sample[kind]
    stamps = [_stamp(kind, line) for line in lines]
    assert all(a <= b for a, b in zip(stamps, stamps[1:], strict=False))
    assert MONDAY <= stamps[0] < MONDAY + timedelta(minutes=30)
    assert MONDAY + timedelta(hours=12) < stamps[-1] < MONDAY + timedelta(hours=16)


@pytest.mark.parametrize(
    ("kind", "options"),
    [("auth", {"time_format": "iso"}), ("access", {"xff": True}), ("mail", {"time_format": "iso"})],
)
def test_timestamps_never_go_back_in_the_other_formats_either(kind: str, options: dict):
    lines, truth = _lines(kind, 4000, 5, attack_share=0.05, **options)
    stamps = [_stamp(kind, line) for line in lines]
    assert all(a <= b for a, b in zip(stamps, stamps[1:], strict=False))
    assert corpus.DEFAULT_START <= stamps[0] < corpus.DEFAULT_START + timedelta(minutes=30)
    assert truth.start == "2026-03-14T00:00:00+07:00"


def test_each_format_looks_like_the_real_thing():
    auth, _ = _lines("auth", 300, 3)
    iso, _ = _lines("mail", 300, 3, time_format="iso")
    access, _ = _lines("access", 300, 3, xff=True)
    assert re.fullmatch(r"Mar 14 \d\d:\d\d:\d\d portal \S+: .+", auth[0])
    assert re.fullmatch(r"2026-03-14T\d\d:\d\d:\d\d\.\d{6}\+07:00 mail \S+: .+", iso[0])
    assert re.fullmatch(
        r'\S+ - - \[14/Mar/2026:\d\d:\d\d:\d\d \+0700\] "[^"]*" \d{3} \d+ "[^"]*" "[^"]*" "[^"]*"',
        access[0],
    )


def test_single_digit_days_are_space_padded_like_rsyslog():
    lines, _ = _lines("auth", 50, 1, start=datetime(2026, 4, 3, tzinfo=VN))
    assert lines[0].startswith("Apr  3 ")


def test_time_zone_of_the_stamps_is_the_one_given():
    lines, truth = _lines("access", 200, 1, tz="UTC", start=datetime(2026, 3, 14, tzinfo=UTC))
    assert "/Mar/2026:00:" in lines[0] and " +0000]" in lines[0]
    assert truth.start == "2026-03-14T00:00:00+00:00"


@pytest.mark.parametrize("name", ["auth.log", "access.log", "mail.log"])
def test_secmon_parses_every_demo_line(name: str):
    path = demo_data_dir() / name
    lines = path.read_text(encoding="utf-8").splitlines()
    parser = make_parser(
        "nginx" if name == "access.log" else "syslog",
        ParseContext(source=str(path), tz=VN, reference_time=datetime(2026, 12, 31, tzinfo=VN)),
    )
    unparsed = [line for line in lines if parser.parse(line) is None]
    assert unparsed == []


# --------------------------------------------------------------------------- truth


@pytest.mark.parametrize("kind", KINDS)
def test_truth_addresses_appear_and_attack_lines_are_counted(sample, kind: str):
    lines, truth = sample[kind]
    assert len(lines) == truth.lines == 12_000
    seen = Counter(ip for line in lines for ip in _addresses(line))
    assert len(truth.attackers) >= 2
    for ip in (*truth.attackers, *truth.optional):
        assert seen[ip] >= 3, ip
    # `benign` lists every benign actor; in half a day a few crawler addresses stay idle.
    appearing = {ip for ip in truth.benign if seen[ip]}
    assert len(appearing) >= 0.9 * len(truth.benign)
    assert {s.office_ip for s in STAFF if s.admin} <= appearing
    attacker_lines = sum(
        1 for line in lines if _addresses(line) & (set(truth.attackers) | set(truth.optional))
    )
    # Every line that names an attacker is an attack line; a few attack lines name none
    # (pam "check pass; user unknown", useradd after a compromise).
    assert 0.7 * truth.attack_lines <= attacker_lines <= truth.attack_lines


def test_notes_give_each_scenario_its_first_and_last_moment(sample):
    lines, truth = sample["access"]
    for note in truth.notes:
        mine = [_stamp("access", line) for line in lines if line.startswith(note.ip + " ")]
        assert len(mine) == note.lines
        assert mine[0].isoformat() == note.first_seen
        assert mine[-1].isoformat() == note.last_seen


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("share", [0.01, 0.03, 0.05])
def test_attack_share_stays_within_what_was_asked(kind: str, share: float):
    truth = corpus.generate(kind, 100_000, 3, attack_share=share).truth
    assert truth.lines == 100_000
    assert share - 0.004 <= truth.attack_share <= share
    assert truth.attack_lines == sum(note.lines for note in truth.notes)


def test_no_attacks_when_asked_for_none():
    lines, truth = _lines("access", 2000, 3, attack_share=0.0)
    assert len(lines) == 2000
    assert truth.attackers == {} and truth.notes == () and truth.attack_lines == 0


@pytest.mark.parametrize("kind", KINDS)
def test_every_attacker_is_one_scenario_and_never_benign(kind: str):
    truth = corpus.generate(kind, 300_000, 9).truth
    keyed = [note.ip for note in truth.notes if note.expect != "by-user"]
    assert len(keyed) == len(set(keyed))
    assert not (set(truth.attackers) | set(truth.optional)) & truth.benign
    for note in truth.notes:
        assert set(note.categories) <= set(CATEGORIES)
        assert (
            note.summary["vi"] and note.summary["en"] and note.summary["vi"] != note.summary["en"]
        )
        if note.expect == "required":
            assert truth.attackers[note.ip] == set(note.categories)
    names = {note.scenario for note in truth.notes}
    assert names == set(corpus.scenario_names(kind))  # a big corpus holds every kind


def test_attacker_addresses_come_from_documentation_ranges_then_a_shared_slice():
    book = AddressBook("access", Random(1))
    addresses = [book.attacker() for _ in range(600)]
    assert len(set(addresses)) == 600
    doc = [ip for ip in addresses[:380]]
    assert all(ip.startswith(("203.0.113.", "198.51.100.")) for ip in doc)
    assert all(int(ip.rsplit(".", 1)[1]) <= 126 for ip in doc if ip.startswith("198.51.100."))
    assert all(
        ip.startswith(("100.116.", "100.117.", "100.118.", "100.119.")) for ip in addresses[380:]
    )
    mail = AddressBook("mail", Random(1))
    assert all(int(mail.attacker().rsplit(".", 1)[1]) >= 129 for _ in range(126))


def test_truth_round_trips_through_json(tmp_path: Path):
    truth = corpus.generate("auth", 20000, 4).truth
    assert Truth.from_json(truth.to_json()) == truth
    data = json.loads(truth.to_json())
    assert list(data) == [
        "version",
        "kind",
        "seed",
        "lines",
        "attack_lines",
        "start",
        "attackers",
        "optional",
        "benign",
        "notes",
    ]
    assert data["version"] == 1 and data["kind"] == "auth" and data["seed"] == 4


def test_truth_of_another_version_is_refused():
    with pytest.raises(ValueError, match="truth file version 2, expected 1"):
        Truth.from_dict({"version": 2})


# --------------------------------------------------------------------------- scenarios


def _scenario_lines(kind: str, name: str, size: int, seed: int = 1) -> list[str]:
    """The lines naming the attacker of one `name` scenario (in a small benign background)."""
    lines, truth = _lines(kind, 6 * size + 300, seed, scenarios=[f"{name}:{size}"])
    (note,) = truth.notes
    return [line for line in lines if note.ip in _addresses(line)]


def test_ssh_compromise_fails_then_logs_in_then_adds_a_sudo_user():
    lines, truth = _lines("auth", 3000, 2, scenarios=["ssh-compromise:25"])
    (note,) = truth.notes
    mine = [line for line in lines if note.ip in line]
    assert sum("Failed password for" in line for line in mine) == 25
    accepted = next(
        i for i, line in enumerate(lines) if "Accepted password" in line and note.ip in line
    )
    after = lines[accepted:]
    assert any("useradd[" in line and "new user: name=" in line for line in after)
    assert any("usermod[" in line and "to group 'sudo'" in line for line in after)
    assert truth.attackers == {note.ip: {"brute-force", "account-compromise"}}


def test_ssh_bruteforce_shows_every_sshd_message_of_a_guesser():
    text = "\n".join(
        line for seed in range(1, 5) for line in _scenario_lines("auth", "ssh-bruteforce", 60, seed)
    )
    for message in (
        "Failed password for",
        "pam_unix(sshd:auth): authentication failure",
        "[preauth]",
        "Disconnected from",
    ):
        assert message in text
    assert "maximum authentication attempts exceeded" in text


def test_spraying_tries_many_distinct_invalid_users():
    lines = _scenario_lines("auth", "ssh-spray", 40)
    users = {m.group(1) for line in lines if (m := re.search(r"Invalid user (\S+) from", line))}
    assert len(users) == 40


def test_sudo_abuse_is_keyed_by_user_not_address():
    lines, truth = _lines("auth", 2000, 2, scenarios=["sudo-abuse:2"])
    (note,) = truth.notes
    assert note.expect == "by-user" and note.user in ("nhanvien", "thuctap")
    assert truth.attackers == {} and note.ip not in truth.benign
    text = "\n".join(lines)
    assert text.count(f"{note.user} : user NOT in sudoers") == 2
    assert text.count(f"{note.user} : 3 incorrect password attempts") == 2


def test_a_staff_member_mistypes_once_and_stays_benign(sample):
    lines, truth = sample["auth"]
    failed = Counter(
        m.group(1)
        for line in lines
        if (m := re.search(r"Failed password for (?:canbo|quantri|kythuat) from (\S+)", line))
    )
    assert failed and set(failed) <= truth.benign
    for ip in failed:  # each mistype is followed by that member's successful login
        i = next(i for i, line in enumerate(lines) if "Failed password for" in line and ip in line)
        assert any("Accepted password" in line and ip in line for line in lines[i : i + 40])


def test_sqlmap_is_percent_encoded_and_sometimes_double_encoded():
    runs = ["\n".join(_scenario_lines("access", "sqlmap", 30, seed)) for seed in range(1, 7)]
    assert all("sqlmap/1." in run and "%20AND%20" in run.replace("%2520", "%20") for run in runs)
    assert any("%2527" in run or "%2520" in run for run in runs)  # the double-encoded runs
    assert any("UNION%20ALL%20SELECT" in run for run in runs)
    for run in runs:
        for line in run.splitlines():
            target = line.split('"', 2)[1].split(" ")[1]
            assert " " not in target and "'" not in target


def test_web_attack_payloads_are_escaped_like_nginx():
    lines = _scenario_lines("access", "xss", 10, seed=4)
    for line in lines:
        request = line.split('"', 2)[1]
        assert '"' not in request
    log4shell = "\n".join(_scenario_lines("access", "log4shell", 9, seed=2))
    assert "${jndi:" in log4shell or "${${" in log4shell
    assert "%24%7Bjndi" in log4shell or "%24%7B%24%7B" in log4shell


def test_scanners_probe_hundreds_of_distinct_missing_paths():
    lines = _scenario_lines("access", "scanner-nikto", 300)
    paths = Counter(line.split('"', 2)[1].split(" ")[1] for line in lines)
    statuses = Counter(line.split('" ', 1)[1].split(" ")[0] for line in lines)
    assert len(paths) >= 290
    assert statuses["404"] >= 250
    assert "/.env" in paths and "/.git/config" in paths


def test_flood_is_thousands_of_requests_within_a_minute():
    lines, truth = _lines("access", 6000, 3, scenarios=["http-flood:2000"])
    (note,) = truth.notes
    stamps = [_stamp("access", line) for line in lines if line.startswith(note.ip + " ")]
    assert len(stamps) == 2000
    assert stamps[-1] - stamps[0] <= timedelta(seconds=80)


def test_crawlers_fetch_many_distinct_existing_pages(sample):
    lines, truth = sample["access"]
    googlebot = [line for line in lines if "Googlebot" in line and line.startswith("66.249.")]
    paths = {line.split('"', 2)[1].split(" ")[1] for line in googlebot}
    statuses = Counter(line.split('" ', 1)[1].split(" ")[0] for line in googlebot)
    assert len(googlebot) > 500 and len(paths) >= 0.8 * len(googlebot)
    assert statuses["404"] <= 0.03 * len(googlebot)
    assert {line.split(" ", 1)[0] for line in googlebot} <= truth.benign


def test_innocent_searches_look_like_sql_but_are_benign(sample):
    lines, truth = sample["access"]
    searches = [line for line in lines if "/tim-kiem?q=select+union+order+by" in line]
    assert searches
    assert {line.split(" ", 1)[0] for line in searches} <= truth.benign
    assert any("/tim-kiem?q=th%E1%BB%A7+t%E1%BB%A5c+h%C3%A0nh+ch%C3%ADnh" in line for line in lines)


def test_uptime_monitor_hits_the_home_page_every_half_minute_or_so(sample):
    lines, _ = sample["access"]
    stamps = [_stamp("access", line) for line in lines if "UptimeRobot" in line]
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False)]
    assert len(stamps) > 100 and 29 <= min(gaps) and max(gaps) <= 61


def test_mail_brute_force_and_a_hijacked_mailbox():
    text = "\n".join(_scenario_lines("mail", "smtp-sasl-bruteforce", 50, seed=3))
    assert text.count("authentication failed") == 50
    lines, truth = _lines("mail", 3000, 4, scenarios=["mail-compromise:20"])
    (note,) = truth.notes
    mine = [line for line in lines if note.ip in line]
    assert any(
        f"sasl_username={note.user}@anphu.gov.vn" in line and "client=" in line for line in mine
    )
    assert truth.attackers[note.ip] == {"brute-force", "account-compromise"}
    dovecot = "\n".join(_scenario_lines("mail", "dovecot-bruteforce", 30, seed=2))
    assert "auth failed" in dovecot and "dovecot: auth-worker(" in dovecot


# --------------------------------------------------------------------------- streaming


def test_streaming_keeps_no_line_alive():
    lines = iter(corpus.generate("auth", 100_000, 1).lines)
    deque(islice(lines, 40_000), maxlen=0)
    tracemalloc.start()
    try:
        deque(islice(lines, 3_000), maxlen=0)  # some 300 KB of text passes through
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current < 100_000 and peak < 500_000
    assert sum(1 for _ in lines) == 57_000


@pytest.mark.slow  # tracemalloc makes this ~10x slower: about 7 s
def test_a_100000_line_file_streams_without_keeping_its_lines(tmp_path: Path):
    out = tmp_path / "auth.log"
    tracemalloc.start()
    try:
        truth = corpus.write("auth", out, 100_000, seed=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = out.stat().st_size
    assert truth.lines == 100_000
    assert out.read_text(encoding="utf-8").count("\n") == 100_000
    assert size > 9_000_000
    assert peak < size / 3  # the file's lines are never all in memory at once


# --------------------------------------------------------------------------- demo, CLI, errors


def test_demo_data_is_what_the_recorded_command_generates(tmp_path: Path):
    truth = corpus.write_demo(tmp_path)
    shipped = demo_data_dir()
    for name in ("auth.log", "access.log", "mail.log", "truth.json"):
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name
        assert (shipped / name).stat().st_size < 200_000
    assert truth.kind == "auth+access+mail"
    assert {note.log for note in truth.notes} == set(KINDS)
    every = {name for kind in KINDS for name in corpus.scenario_names(kind)}
    assert {note.scenario for note in truth.notes} == every


def test_cli_writes_the_log_and_its_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out, truth = tmp_path / "mail.log", tmp_path / "mail.json"
    code = corpus.main(
        [
            "mail",
            "--lines",
            "2500",
            "--seed",
            "8",
            "--out",
            str(out),
            "--truth",
            str(truth),
            "--start",
            "2026-03-14T00:00:00+07:00",
            "--iso",
        ]
    )
    assert code == 0
    assert out.read_text(encoding="utf-8").count("\n") == 2500
    assert out.read_text(encoding="utf-8").startswith("2026-03-14T00:")
    assert Truth.from_json(truth.read_text(encoding="utf-8")).lines == 2500
    assert "2500 lines" in capsys.readouterr().err


def test_cli_reports_a_bad_scenario_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code = corpus.main(
        [
            "auth",
            "--lines",
            "100",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "x.log"),
            "--scenarios",
            "ssh-brutforce",
        ]
    )
    assert code == 1
    assert capsys.readouterr().err == (
        "Lỗi / Error: unknown auth scenarios ['ssh-brutforce']; known: ssh-bruteforce, "
        "ssh-spray, ssh-compromise, ssh-slow-bruteforce, sudo-abuse\n"
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: corpus.generate("dns", 10, 1), "unknown kind 'dns'; known: auth, access, mail"),
        (lambda: corpus.generate("auth", -1, 1), "lines must be >= 0"),
        (
            lambda: corpus.generate("auth", 10, 1, time_format="rfc5424"),
            "time_format must be one of rfc3164, iso",
        ),
        (lambda: corpus.generate("auth", 10, 1, attack_share=1.5), "attack_share must be in"),
        (
            lambda: corpus.generate("auth", 50, 1, scenarios=["ssh-bruteforce:200"]),
            "the scenarios need",
        ),
        (
            lambda: corpus.generate("auth", 50, 1, scenarios=["ssh-spray:x"]),
            "bad scenario size in 'ssh-spray:x'",
        ),
    ],
)
def test_bad_arguments_are_refused(call, message: str):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_hostile_64k_arguments_are_parsed_in_linear_time():
    hostile = "+" + "0" * 65536
    began = time.perf_counter()
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do, quickly
        corpus.generate("auth", 10, 1, tz=hostile)
    with pytest.raises(SystemExit):
        corpus.main(
            ["auth", "--lines", "1", "--seed", "1", "--out", "x", "--duration", "1" * 65536 + "x"]
        )
    assert time.perf_counter() - began < 1.0
