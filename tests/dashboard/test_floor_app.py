"""The floor app (scripts/floor_app.py) that `make bench` measures the dashboard against must run
cleanly and carry as much page as the dashboard: a floor that crashes half way (as it did when two
of its charts shared a key) or draws fewer charts makes the rerun ratio look worse or better than
the planner's real cost."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def _run(path: Path) -> AppTest:
    return AppTest.from_file(str(path), default_timeout=120).run()


def test_the_floor_app_runs_and_matches_the_dashboards_page() -> None:
    floor = _run(ROOT / "scripts" / "floor_app.py")
    assert not floor.exception, floor.exception
    app = _run(ROOT / "app.py")
    assert not app.exception
    for kind in (
        "plotly_chart",
        "dataframe",
        "metric",
        "number_input",
        "radio",
        "select_slider",
        "selectbox",
        "slider",
        "multiselect",
        "button",
        "toggle",
        "text_input",
        "expander",
    ):
        assert len(floor.get(kind)) == len(app.get(kind)), kind
    floor.sidebar.select_slider(key="conc").set_value(64).run()  # the benchmark's move
    assert not floor.exception, floor.exception
