"""`python -m georisk validate` as a user runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import DATA, georisk_cli, set_cell


def validate(*args: str) -> subprocess.CompletedProcess:
    return georisk_cli("validate", *args)


def test_bundled_data_validates_clean():
    result = validate(str(DATA))
    assert result.returncode == 0, result.stdout
    assert "no problems" in result.stdout


def test_each_problem_is_printed_with_file_row_column(data_copy: Path):
    row = set_cell(data_copy / "events.csv", 2, "category", "gossip")
    result = validate(str(data_copy))
    assert result.returncode == 1
    assert f"events.csv, row {row}, column category: not one of" in result.stdout


def test_not_a_folder_is_a_usage_error(tmp_path: Path):
    result = validate(str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "is not a folder" in result.stderr
