"""A finished chart spec handed to ``st.plotly_chart`` without Plotly's object graph.

``st.plotly_chart`` accepts a ``go.Figure`` and turns it back into a dict with ``to_dict()`` before
it writes the JSON (streamlit/elements/plotly_chart.py -> plotly.tools.
return_figure_from_figure_or_data); a plain dict it re-validates by building a ``go.Figure``.
Building that object graph and deep-copying it back cost ~4.5 ms per chart per rerun for the
dashboard's four charts (about a third of a slider move's rerun; `make bench`), while the JSON of
the spec itself costs ~0.3 ms.

The figure builders (dashboard.figures, speed_figure, plan_figures) assemble plain specs. With
``validate=True`` (tests, exports) they return a real, validated ``go.Figure``; the page asks for
``validate=False`` and gets a :class:`ChartSpec`: a ``go.Figure`` subclass that carries the spec
as it is and only answers ``to_dict()``, with the default template Plotly would have added (so the
chart looks the same). The tests validate every builder's spec through ``go.Figure`` over many
scenarios, and the browser tests check the rendered charts.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.utils import convert_to_base64  # what go.Figure.to_dict() applies


@cache
def _default_template() -> dict[str, Any]:
    """The template ``go.Figure`` puts into a layout that names none (plotly.io.templates.default)."""
    layout: dict[str, Any] = go.Figure().to_dict()["layout"]
    return dict(layout.get("template", {}))


class ChartSpec(go.Figure):  # type: ignore[misc]  # plotly ships no type hints
    """A validated-elsewhere Plotly spec, passed through to Streamlit unchanged.

    Only ``to_dict()``, ``spec`` and ``height`` are meant to be used: the Plotly object graph
    behind ``go.Figure``'s other attributes (``.layout``, ``.data``) is never built.
    """

    def __init__(self, spec: dict[str, Any]) -> None:  # no super().__init__: that is the cost
        layout = dict(spec.get("layout", {}))
        layout.setdefault("template", _default_template())
        # NumPy arrays as Plotly's base64 typed arrays, as go.Figure.to_dict() sends them: as JSON
        # lists the browser redraws a slider move ~100 ms slower (make bench, Chromium row)
        data = [dict(trace) for trace in spec.get("data", [])]
        convert_to_base64(data)
        object.__setattr__(self, "_chart_spec", {**spec, "data": data, "layout": layout})

    @property
    def spec(self) -> dict[str, Any]:
        return self._chart_spec  # type: ignore[no-any-return]

    @property
    def height(self) -> int:
        return int(self._chart_spec["layout"].get("height") or 450)

    def to_dict(self) -> dict[str, Any]:
        return self._chart_spec  # type: ignore[no-any-return]

    def to_json(self, *args: Any, **kwargs: Any) -> str:
        return str(pio.to_json(self._chart_spec, validate=False))

    def __repr__(self) -> str:
        return f"ChartSpec({len(self._chart_spec.get('data', []))} traces)"


def figure_height(fig: go.Figure) -> int:
    """The figure's height in pixels, for either kind of figure."""
    if isinstance(fig, ChartSpec):
        return fig.height
    return int(fig.layout.height or 450)


def figure(spec: dict[str, Any], validate: bool) -> go.Figure:
    """A validated ``go.Figure`` (tests, exports), or the page's pass-through :class:`ChartSpec`."""
    return go.Figure(spec, _validate=True) if validate else ChartSpec(spec)
