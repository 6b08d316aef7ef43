"""Where the incident database lives when the config does not say."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .model import StoreError

DB_NAME = "secmon.db"


def default_db_path(env: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME/secmon/secmon.db, else ~/.local/share/secmon/secmon.db.

    `env` is the process environment (passed in, never read here). Following
    the XDG base directory spec, an empty or relative XDG_DATA_HOME is ignored.
    """
    xdg = env.get("XDG_DATA_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "secmon" / DB_NAME
    home = env.get("HOME", "")
    if home and Path(home).is_absolute():
        return Path(home) / ".local" / "share" / "secmon" / DB_NAME
    raise StoreError(
        "không biết đặt cơ sở dữ liệu sự cố ở đâu: hãy đặt biến HOME hoặc XDG_DATA_HOME, "
        "hoặc chỉ ra đường dẫn bằng --db hay khóa database trong secmon.yaml",
        "cannot tell where to keep the incident database: set HOME or XDG_DATA_HOME, "
        "or give the path with --db or the database key in secmon.yaml",
    )
