from __future__ import annotations

from pathlib import Path

import pytest

from secmon.parsers.detect import detect_type

DATA = Path(__file__).parent / "data" / "parsers"


def lines_of(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("auth.log", "syslog"),
        ("syslog-iso.log", "syslog"),
        ("syslog-5424.log", "syslog"),
        ("access.log", "nginx"),
        ("other_vhosts_access.log", "apache"),  # vhost_combined and \" escapes
        ("error.log", "nginx-error"),
        ("apache-error.log", "apache-error"),
        ("app.jsonl", "json"),
        ("garbage.txt", None),
    ],
)
def test_sample_files(name: str, expected: str | None) -> None:
    assert detect_type(lines_of(name)) == expected


def test_empty_and_blank_samples() -> None:
    assert detect_type([]) is None
    assert detect_type(["", "   ", "\t"]) is None


def test_blank_lines_do_not_count() -> None:
    assert detect_type(["", "Mar 14 06:00:01 portal sshd[811]: x", "", ""]) == "syslog"


def test_exactly_half_is_enough_and_less_is_not() -> None:
    good = "Mar 14 06:00:01 portal sshd[811]: x"
    assert detect_type([good, "junk"]) == "syslog"
    assert detect_type([good, "junk", "more junk"]) is None


def test_majority_wins_over_a_few_lines_of_another_type() -> None:
    access = lines_of("access.log")
    assert detect_type(access + lines_of("auth.log")[:3]) == "nginx"


def test_common_format_is_detected_as_web() -> None:
    line = '10.0.0.5 - canbo [14/Mar/2026:06:00:01 +0700] "GET /admin/ HTTP/1.0" 401 -'
    assert detect_type([line] * 3) == "nginx"


def test_apache_quote_escape_tells_apache() -> None:
    line = '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1 "-" "a \\"b\\""'
    assert detect_type([line]) == "apache"


def test_a_tie_goes_to_the_more_specific_type() -> None:
    syslog = ["Mar 14 06:00:01 portal sshd[811]: a", "Mar 14 06:00:02 portal sshd[811]: b"]
    nginx_error = lines_of("error.log")[:2]
    json = ['{"time": 1773442801}', '{"time": 1773442802}']
    assert detect_type(syslog + nginx_error) == "nginx-error"
    assert detect_type(nginx_error + json) == "json"
    assert detect_type(json + syslog) == "json"
