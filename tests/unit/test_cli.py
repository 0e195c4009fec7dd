"""`python -m georisk validate`: in process through cli.main, and once as the real command."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import DATA, georisk_cli, georisk_command, set_cell


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


def test_the_command_itself_runs_as_the_in_process_calls_do(data_copy: Path):
    """One real `python -m georisk` per outcome: the entry point, exit codes and streams match
    what the in-process calls of the other tests see."""
    set_cell(data_copy / "events.csv", 2, "category", "gossip")
    for args in ((str(DATA),), (str(data_copy),), (str(data_copy / "missing"),)):
        real, in_process = georisk_command("validate", *args), validate(*args)
        assert (real.returncode, real.stdout, real.stderr) == (
            in_process.returncode,
            in_process.stdout,
            in_process.stderr,
        ), args
