"""README.md starts with the two commands a new user runs, and CI runs the second one."""

import re

from tests.conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)][:2]


def test_readme_starts_with_run_and_test_commands():
    run, test = readme_commands()
    assert "requirements.txt" in run and "streamlit run dashboard.py" in run
    assert "requirements-dev.txt" in test and "pytest" in test


def test_ci_runs_the_readme_test_command():
    _, test = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()


def test_requirements_pin_streamlit_167():
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert "streamlit==1.67.0" in requirements
