"""Where the incident database lives by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from secmon.incidents.model import StoreError
from secmon.incidents.paths import default_db_path


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"XDG_DATA_HOME": "/srv/data", "HOME": "/home/lan"}, "/srv/data/secmon/secmon.db"),
        ({"HOME": "/home/lan"}, "/home/lan/.local/share/secmon/secmon.db"),
        ({"XDG_DATA_HOME": "", "HOME": "/root"}, "/root/.local/share/secmon/secmon.db"),
        ({"XDG_DATA_HOME": "rel/dir", "HOME": "/root"}, "/root/.local/share/secmon/secmon.db"),
    ],
)
def test_default_db_path(env: dict[str, str], expected: str) -> None:
    assert default_db_path(env) == Path(expected)


def test_default_db_path_without_home() -> None:
    with pytest.raises(StoreError) as info:
        default_db_path({"HOME": ""})
    assert str(info.value) == (
        "cannot tell where to keep the incident database: set HOME or XDG_DATA_HOME, "
        "or give the path with --db or the database key in secmon.yaml"
    )
