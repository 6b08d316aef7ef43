"""RFC 6587 framing of a TCP stream (pure: no sockets)."""

from __future__ import annotations

import random
import time

import pytest

from secmon.sources.syslog_framing import MAX_FRAME_OCTETS, SyslogFramer, cut_message

RFC5424 = b"<34>1 2026-03-14T06:00:01.003Z portal sshd 811 - - Failed password for root"
RFC3164 = b"<38>Mar 14 06:00:01 portal sshd[811]: Accepted publickey for canbo"


def frames(*chunks: bytes, max_message: int = 64 * 1024) -> tuple[list[str], SyslogFramer]:
    framer = SyslogFramer(max_message)
    out: list[str] = []
    for chunk in chunks:
        out += framer.feed(chunk)
    out += framer.finish()
    return out, framer


def counted(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


def test_octet_counted_messages_back_to_back() -> None:
    out, framer = frames(counted(RFC5424) + counted(RFC3164))
    assert out == [RFC5424.decode(), RFC3164.decode()]
    assert (framer.framing_errors, framer.truncated) == (0, 0)


def test_counted_message_keeps_inner_newlines_and_drops_a_counted_trailing_lf() -> None:
    out, _ = frames(counted(b"<13>line one\nline two\n") + counted(b"<13>x"))
    assert out == ["<13>line one\nline two", "<13>x"]


def test_non_transparent_lf_crlf_and_nul_terminators() -> None:
    out, _ = frames(b"<13>one\n<13>two\r\n<13>three\x00<13>four\n")
    assert out == ["<13>one", "<13>two", "<13>three", "<13>four"]


def test_framing_is_decided_per_message() -> None:
    stream = counted(RFC5424) + RFC3164 + b"\n" + counted(RFC3164) + b"<13>last\n"
    out, _ = frames(stream)
    assert out == [RFC5424.decode(), RFC3164.decode(), RFC3164.decode(), "<13>last"]


def test_line_starting_with_digits_is_not_a_count() -> None:
    out, framer = frames(b"2026-03-14T06:00:01+07:00 portal sshd[1]: hi\n05 zero-led\n")
    assert out == ["2026-03-14T06:00:01+07:00 portal sshd[1]: hi", "05 zero-led"]
    assert framer.framing_errors == 0


def test_empty_frames_between_messages_are_skipped() -> None:
    out, _ = frames(b"\n\r\n\x00<13>a\n\n\n<13>b\n")
    assert out == ["<13>a", "<13>b"]


def test_unterminated_last_message_is_delivered_at_end_of_stream() -> None:
    assert frames(b"<13>a\n<13>no newline")[0] == ["<13>a", "<13>no newline"]
    assert frames(b"12")[0] == ["12"]  # digits that never became a count


def test_counted_frame_cut_short_by_the_peer_is_a_framing_error() -> None:
    out, framer = frames(b"100 <13>only part")
    assert out == []
    assert framer.framing_errors == 1


def test_every_split_point_gives_the_same_messages() -> None:
    stream = (
        counted(RFC5424)
        + RFC3164
        + b"\r\n"
        + counted("<13>Tiếng Việt có dấu".encode())
        + b"<13>nul\x00"
        + counted(b"<13>x")
        + b"<13>end\n"
    )
    whole, _ = frames(stream)
    assert len(whole) == 6
    for cut in range(1, len(stream)):
        assert frames(stream[:cut], stream[cut:])[0] == whole, cut
    assert frames(*(bytes([b]) for b in stream))[0] == whole


def test_random_chunking_of_many_messages() -> None:
    rng = random.Random(20260314)
    messages = [f"<13>msg {i} {'x' * rng.randrange(0, 300)}".encode() for i in range(500)]
    stream = b"".join(
        counted(m) if rng.random() < 0.5 else m + rng.choice([b"\n", b"\r\n", b"\x00"])
        for m in messages
    )
    chunks, pos = [], 0
    while pos < len(stream):
        size = rng.randrange(1, 2000)
        chunks.append(stream[pos : pos + size])
        pos += size
    assert frames(*chunks)[0] == [m.decode() for m in messages]


def test_over_long_non_transparent_message_is_cut_with_marker() -> None:
    out, framer = frames(b"<13>" + b"a" * 30 + b"\n<13>next\n", max_message=10)
    assert out == ["<13>aaaaaa [secmon: line cut, 24 bytes dropped]", "<13>next"]
    assert framer.truncated == 1


def test_cut_message_does_not_count_the_cr_of_crlf() -> None:
    out, _ = frames(b"0123456789ABCDE\r\n", max_message=10)
    assert out == ["0123456789 [secmon: line cut, 5 bytes dropped]"]
    out, _ = frames(b"0123456789\r\n", max_message=10)  # exactly fits once CR is gone
    assert out == ["0123456789"]


def test_over_long_counted_message_is_cut_and_the_rest_skipped() -> None:
    body = b"<13>" + b"b" * 96
    out, framer = frames(counted(body) + counted(b"<13>after"), max_message=20)
    assert out == ["<13>bbbbbbbbbbbbbbbb [secmon: line cut, 80 bytes dropped]", "<13>after"]
    assert (framer.truncated, framer.framing_errors) == (1, 0)


def test_cut_never_splits_a_utf8_character() -> None:
    # "<13>" + "ệ" (3 bytes) * 3: a 9-byte limit falls inside the second "ệ"
    out, _ = frames("<13>ệệệ\n".encode(), max_message=9)
    assert out == ["<13>ệ [secmon: line cut, 6 bytes dropped]"]
    assert cut_message("aé".encode()[:2], 1) == "a [secmon: line cut, 2 bytes dropped]"


def test_invalid_utf8_is_replaced() -> None:
    assert frames(b"<13>bad \xff\xfe utf8\n")[0] == ["<13>bad \ufffd\ufffd utf8"]


def test_bad_count_resynchronises_at_the_next_newline() -> None:
    too_big = str(MAX_FRAME_OCTETS + 1).encode()
    stream = too_big + b" junk junk\n<13>ok one\n" + b"1234567890 ten digits\n<13>ok two\n"
    out, framer = frames(stream)
    assert out == ["<13>ok one", "<13>ok two"]
    assert framer.framing_errors == 2


def test_count_up_to_the_frame_limit_is_a_cut_not_an_error() -> None:
    count = MAX_FRAME_OCTETS
    framer = SyslogFramer(max_message=8)
    out = framer.feed(str(count).encode() + b" " + b"z" * 1000)
    for _ in range((count - 1000) // 65536):
        out += framer.feed(b"z" * 65536)
    out += framer.feed(b"z" * ((count - 1000) % 65536) + counted(b"<13>next"))
    assert out == [f"zzzzzzzz [secmon: line cut, {count - 8} bytes dropped]", "<13>next"]
    assert framer.framing_errors == 0


def test_memory_stays_bounded_on_an_endless_line() -> None:
    framer = SyslogFramer(max_message=1024)
    for _ in range(64):
        assert framer.feed(b"y" * 65536) == []
    assert len(framer._head) == 1024 and framer._pending == b""
    assert framer.finish() == [
        "y" * 1024 + f" [secmon: line cut, {64 * 65536 - 1024} bytes dropped]"
    ]


@pytest.mark.parametrize(
    "hostile",
    [
        b"9" * 65536,
        b"<" + b"a" * 65535,
        b"1 " * 32768,
        b"\n" * 65536,
        b"\x00\r" * 32768,
        b"12345678 " + b"\xff" * 65527,
        (b"1" * 9 + b" ") * 6553,
    ],
    ids=["digits", "no-terminator", "tiny-frames", "newlines", "nul-cr", "bad-utf8", "counts"],
)
def test_hostile_64k_input_is_linear(hostile: bytes) -> None:
    start = time.perf_counter()
    whole, _ = frames(hostile)
    pieces, _ = frames(*(hostile[i : i + 1500] for i in range(0, len(hostile), 1500)))
    assert pieces == whole
    assert time.perf_counter() - start < 1.0
