"""The `web_roots:` section of secmon.yaml (secmon.config.webroots)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secmon.config import load_settings
from secmon.config.webroots import WebRootSettings
from secmon.errors import InputError, Location
from secmon.sources.webroot import DEFAULT_UPLOAD_DIRS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secmon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_web_roots_as_paths_and_mappings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
version: 1
web_roots:
- /var/www/html
- path: sites/egov
  ignore: [cache/**, "uploads/**/thumbs/**", "*.log"]
  upload_dirs: [tailieu, uploads]
""",
    )
    settings = load_settings(path)
    assert settings.web_roots == (
        WebRootSettings(Path("/var/www/html"), Location(str(path), 3, 3)),
        WebRootSettings(
            tmp_path / "sites/egov",
            Location(str(path), 4, 3),
            ignore=("cache/**", "uploads/**/thumbs/**", "*.log"),
            upload_dirs=("tailieu", "uploads"),
        ),
    )
    assert settings.web_roots[0].upload_dirs == DEFAULT_UPLOAD_DIRS


def test_no_section_means_no_web_roots(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "version: 1\n")).web_roots == ()


def test_every_problem_is_reported_with_its_place(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
version: 1
web_roots:
- /var/www/html
- path: /var/www/html
- {paht: /srv/www}
- path: /srv/egov
  ignore: ["**", cache/**]
  upload_dirs: [uploads, wp-content/uploads]
- 42
- ""
""",
    )
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert str(err.value).splitlines() == [
        f"{path}:4:3: web root /var/www/html is listed twice (first at line 3)",
        f"{path}:5:3: 'web_roots[2].path' is required: the web root folder",
        f"{path}:5:4: unknown key 'web_roots[2].paht' (did you mean 'path'?); "
        "expected one of: path, ignore, upload_dirs",
        f"{path}:7:12: 'web_roots[3].ignore': ignore pattern '**' would ignore the whole web root",
        f"{path}:8:26: 'web_roots[3].upload_dirs' entry 'wp-content/uploads' must be a "
        "folder name without '/', like uploads",
        f"{path}:9:3: 'web_roots[4]' must be a path or a mapping with 'path'",
        f"{path}:10:3: 'web_roots[5]' must be a non-empty path",
    ]


def test_web_roots_must_be_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nweb_roots: /var/www/html\n")
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert str(err.value) == (
        f"{path}:2:12: 'web_roots' must be a list of folders (a path, or {{path, ignore, "
        "upload_dirs})"
    )
