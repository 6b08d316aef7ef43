from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The corpus generator lives in bench/ (shared by tests and benchmarks).
if str(REPO / "bench") not in sys.path:
    sys.path.insert(0, str(REPO / "bench"))


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def fixed_now() -> datetime:
    return datetime(2026, 3, 14, 12, 0, 0, tzinfo=timezone.utc)
