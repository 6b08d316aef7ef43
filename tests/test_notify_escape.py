"""Escaping attacker-controlled text for each alert format."""

from __future__ import annotations

import time

import pytest

from secmon.notify.escape import escape_markdown, escaper, neutralise, truncate


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("line one\nline two\r\n", "line one\\x0aline two\\x0d\\x0a"),
        ("tab\there \x1b[31mred\x1b[0m", "tab\\x09here \\x1b[31mred\\x1b[0m"),
        ("\u202eevil\u202c zero\u200bwidth \u2028sep", "\\u202eevil\\u202c zero\\u200bwidth "
                                                       "\\u2028sep"),
        ("bad \udcff byte", "bad \ufffd byte"),
        ("@channel @here @all @everyone", "＠channel ＠here ＠all ＠everyone"),
        ("<!channel> <!here|here> <@U024BE7LH> <#C123>", "‹!channel> ‹!here|here> ‹＠U024BE7LH> "
                                                          "‹#C123>"),
        ("admin@uy-ban.gov.vn", "admin＠uy-ban[.]gov[.]vn"),
        ("GET http://evil.example/a.php HTTPS://x.vn", "GET hxxp://evil[.]example/a[.]php "
                                                       "hxxPS://x[.]vn"),
        ("ftp://files.example/x javascript://y", "ftp[:]//files[.]example/x javascript[:]//y"),
        ("_http://a.b //cdn.example www.example", "_hxxp://a[.]b //cdn[.]example www[.]example"),
        ("ví.vn sách。vn 203.0.113.9 HTTP/1.1 v2.4 a.B", "ví[.]vn sách[.]vn 203.0.113.9 "
                                                        "HTTP/1.1 v2.4 a[.]B"),
        ("hxxp://already.defanged", "hxxp://already[.]defanged"),
    ],
)
def test_neutralise(raw: str, safe: str) -> None:
    assert neutralise(raw) == safe


def test_markdown_escapes_every_ascii_punctuation() -> None:
    assert escape_markdown("# [x](y) *b* _i_ `c` <h> | ~ \\ 1. - + = ! & :") == (
        "\\# \\[x\\]\\(y\\) \\*b\\* \\_i\\_ \\`c\\` \\<h\\> \\| \\~ \\\\ 1\\. \\- \\+ \\= \\! "
        "\\& \\:"
    )


def test_escaper_per_format() -> None:
    value = "<b>@all</b> see http://x.vn\n"
    assert escaper("text")(value) == "<b>＠all</b> see hxxp://x[.]vn\\x0a"
    assert escaper("html")(value) == "<b>＠all</b> see hxxp://x[.]vn\\x0a"  # entities: autoescape
    assert escaper("markdown")(value) == (
        "\\<b\\>＠all\\<\\/b\\> see hxxp\\:\\/\\/x\\[\\.\\]vn\\\\x0a")
    assert escaper("text")(None) == ""
    assert escaper("text")(42) == "42"
    with pytest.raises(ValueError, match="unknown message format 'rtf'"):
        escaper("rtf")


def test_truncate_marks_what_was_cut() -> None:
    assert truncate("abcdef", 6) == "abcdef"
    assert truncate("abcdefgh", 5) == "abcde…[+3]"
    assert truncate("ab\udcffcd", 3) == "ab\ufffd…[+2]"


def test_hostile_64k_line_is_escaped_in_linear_time() -> None:
    patterns = [
        "a." * 32768,  # a dot to defang after every letter
        "http:/" * 10923,  # almost a scheme, again and again
        "<!@" * 21845,  # mentions
        "\x00" * 65536,  # each control character becomes four characters
        "a" * 65533 + "://",  # a scheme that is 64 KiB long
    ]
    for line in patterns:
        started = time.perf_counter()
        for fmt in ("text", "markdown", "html"):
            escaper(fmt)(line)
        elapsed = time.perf_counter() - started
        assert elapsed < 1.0, f"{line[:10]!r}... took {elapsed:.2f}s"
