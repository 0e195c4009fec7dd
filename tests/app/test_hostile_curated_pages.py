"""Hostile curated files (issue 14): each class gives a reported problem for its file or row, never
a traceback, and the other files (and rows) still load.

Small hand-made files live in tests/corpus/curated/; large ones are generated here.
"""

from __future__ import annotations

import json
from pathlib import Path

from georisk.scenario.dataset import load_dataset


def test_a_catalogue_weight_no_slider_could_show_is_refused(data_copy: Path, app_env):
    from tests.conftest import open_page

    path = data_copy / "catalog.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["scenario"]["cooperation_index_weights"]["joint_exercises"] = 7
    path.write_text(json.dumps(document), encoding="utf-8")
    dataset = load_dataset(data_copy)
    (problem,) = [p for p in dataset.problems if p.column == "scenario.cooperation_index_weights"]
    assert "from 0 to 3" in problem.reason
    app_env(data_copy)
    at = open_page("pages/3_Cooperation.py")
    assert not at.exception, at.exception
