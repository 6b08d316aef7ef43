"""File identity helpers: fingerprints, rotated names, finding a rotated file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from secmon.events import Checkpoint
from secmon.sources.fingerprint import (
    DEFAULT_EXCLUDE,
    exclusion,
    find_continuation,
    fingerprint_of,
    is_excluded,
    is_sibling,
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def test_fingerprint_is_the_first_line_or_256_bytes() -> None:
    assert fingerprint_of(b"") == ""
    assert fingerprint_of(b"no newline yet") == ""
    assert fingerprint_of(b"first\nsecond\n") == sha(b"first\n")
    assert fingerprint_of(b"x" * 300) == sha(b"x" * 256)
    assert fingerprint_of(b"x" * 255 + b"\n" + b"y") == sha(b"x" * 255 + b"\n")
    assert fingerprint_of(b"x" * 256 + b"\n") == sha(b"x" * 256)
    assert len(fingerprint_of(b"a\n")) == 16


@pytest.mark.parametrize(
    ("name", "excluded"),
    [
        ("access.log", False),
        ("error.log", False),
        ("syslog", False),
        ("php8.2-fpm.log", False),
        ("access.log.1", True),
        ("access.log.10", True),
        ("access.log.2.gz", True),
        ("access.1.log", True),
        ("syslog-20260314", True),
        ("syslog-2026031412", True),
        ("access-20260314.log", True),
        ("mail.log.bz2", True),
        ("x.log.zst", True),
        ("kern.log.old", True),
        ("notes~", True),
    ],
)
def test_default_exclude(name: str, excluded: bool) -> None:
    assert is_excluded(name, DEFAULT_EXCLUDE) is excluded
    assert exclusion(DEFAULT_EXCLUDE)(name) is excluded


def test_exclusion_edge_cases() -> None:
    assert exclusion(())("access.log.1") is False
    assert exclusion(["*.log", "x?z"])("xyz") is True
    hostile = "-0000000" * 31  # 248 bytes of near-misses of the dateext glob
    assert exclusion(DEFAULT_EXCLUDE)(hostile) is False


@pytest.mark.parametrize(
    ("name", "sibling"),
    [
        ("access.log.1", True),
        ("access.log-20260314", True),
        ("access-20260314.log", True),
        ("access.log.1.gz", False),
        ("access.log", False),
        ("access.logx", False),
        ("error.log.1", False),
        ("access.log.log", True),
    ],
)
def test_rotated_siblings(name: str, sibling: bool) -> None:
    assert is_sibling("access.log", name) is sibling


def test_is_sibling_short_names_do_not_crash() -> None:
    assert is_sibling("a.log.log", "a.log") is False
    assert is_sibling("syslog", "syslog.1") is True


def checkpoint_for(path: Path, offset: int) -> Checkpoint:
    info = path.stat()
    return Checkpoint(
        str(path), info.st_dev, info.st_ino, offset, fingerprint_of(path.read_bytes())
    )


def test_find_continuation_by_inode_then_by_copy(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("first\nsecond\n")
    cp = checkpoint_for(log, 6)
    log.rename(tmp_path / "access.log-20260314")
    (tmp_path / "access.log.1").write_text("first\nsecond\n")  # a copy: same start
    log.write_text("new\n")
    found = find_continuation(str(log), cp)
    assert found is not None and found.renamed is True
    assert found.path == str(tmp_path / "access.log-20260314")
    os.close(found.fd)
    (tmp_path / "access.log-20260314").unlink()
    found = find_continuation(str(log), cp)
    assert found is not None and found.renamed is False
    assert found.path == str(tmp_path / "access.log.1")
    os.close(found.fd)


def test_find_continuation_rejects_other_content_and_short_copies(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("first\nsecond\n")
    cp = checkpoint_for(log, 13)
    (tmp_path / "access.log.1").write_text("first\n")  # same start, too short
    (tmp_path / "access.log.2").write_text("other\nsecond\nthird\n")
    (tmp_path / "access.log.3.gz").write_bytes(b"first\nsecond\n")
    assert find_continuation(str(log), cp) is None
    assert find_continuation(str(tmp_path / "missing-dir" / "x.log"), cp) is None
