"""The compare page's controls: the toolbar (group, metric, per-trial statistic, step,
group-by, refresh), the curves' controls, and the page's guide."""

from __future__ import annotations

import re
from typing import Any

from dash import Input, Output, callback, dcc, html

from kuro.dashboard.comparison import STATISTICS
from kuro.dashboard.components.refresh import RefreshControls
from kuro.dashboard.figures.curves import AGGREGATIONS, BANDS, X_AXES

__all__ = ["GUIDE", "curve_controls", "guide", "show_band_choice", "toolbar"]

GUIDE = """
**Group**: a set of experiments compared together (one at a time here). **Experiment**: one
hyper-parameter setting of an *identifier* (a model or method), run as several **trials**
(repeats, e.g. with different seeds). **Metric**: a named value a trial logs, either once
(a summary, like `test_acc`) or at many steps (a series, like `train_loss`); its *mode* says
whether larger (↑ max) or smaller (↓ min) is better.

- **Per trial** chooses each complete trial's one value: its *best* by the mode, its *last*,
  its value *at step* N, or its *summary*. The cards, charts, table and comparison download
  all use it.
- **Group by** a hyper-parameter key (say `lr`) makes each of its values one setting, pooling
  the trials of every experiment with that value whatever their other keys.
- **Which setting wins** ranks the settings by mean, best first. Each dot is a mean and its
  whisker the 95% interval of that mean (Student t); the axis is zoomed to the data. The
  leader is the star, its interval the shaded column. An open diamond on a shaded row is
  *not separated* from the leader (Welch's test, p ≥ 0.05): it may be as good; more trials
  would tell. Grey dots are behind the leader. Hover a dot for n, the interval, the p-value
  and P(leader better), the chance a trial of the leader beats one of the setting.
- **Curves** draw every series metric by step: with nothing selected, of the top 5 settings
  by the metric chosen above. *All trials*: one line per trial. *Best trial*: the trial
  with the best value. *Mean across trials*: the mean at each step with a shaded band of ±
  one standard deviation (or the min-max range). Long series are sampled to about 1,000
  points keeping each bucket's minimum and maximum; such charts say so.
- The page's address holds its state: copy it to share this view.
"""


def _inline(text: str) -> list[Any]:
    """``**bold**``, ``*italic*`` and ``code`` spans of ``text`` as components."""
    out: list[Any] = []
    for part in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*|`[^`]+`)", text):
        if part.startswith("**"):
            out.append(html.Strong(part[2:-2]))
        elif part.startswith("*"):
            out.append(html.Em(part[1:-1]))
        elif part.startswith("`"):
            out.append(html.Code(part[1:-1]))
        elif part:
            out.append(part)
    return out


def guide() -> list[Any]:
    """The page's guide (``GUIDE``) as plain elements: ``dcc.Markdown`` would load its
    renderer (about 450 kB with its highlighter) on every first view of the page."""
    paragraphs = GUIDE.strip().split("\n\n")
    out: list[Any] = []
    for paragraph in paragraphs:
        if paragraph.startswith("- "):
            items = [" ".join(i.split()) for i in ("\n" + paragraph).split("\n- ")[1:]]
            out.append(html.Ul([html.Li(_inline(i)) for i in items]))
        else:
            out.append(html.P(_inline(" ".join(paragraph.split()))))
    return out


def _radio(id: str, options: dict[str, str], value: str) -> dcc.RadioItems:
    return dcc.RadioItems(
        id=id,
        options=[{"label": v, "value": k} for k, v in options.items()],
        value=value,
        inline=True,
        className="kuro-segmented",
    )


def _field(label: str, control: Any, html_for: str | None = None, **props: Any) -> html.Div:
    caption = (
        html.Label(label, htmlFor=html_for, className="kuro-label")
        if html_for
        else html.Span(label, className="kuro-label")
    )
    return html.Div([caption, control], **{"className": "kuro-field", **props})


def toolbar(state: dict[str, Any], view: dict[str, Any]) -> html.Div:
    group, metric = view["group"], view["metric"]
    return html.Div(
        [
            _field(
                "Group",
                dcc.Dropdown(
                    id="compare-group-picker",
                    options=view["groups"],
                    value=group,
                    placeholder="Choose a group…",
                    clearable=False,
                    className="kuro-group-picker",
                ),
                "compare-group-picker",
            ),
            _field(
                "Metric",
                dcc.Dropdown(
                    id="compare-metric",
                    options=view["metrics"],
                    value=metric,
                    clearable=False,
                    placeholder="Metric",
                    className="kuro-metric-pick",
                ),
                "compare-metric",
            ),
            _field("Per trial", _radio("compare-statistic", STATISTICS, state["statistic"])),
            _field(
                "Step",
                dcc.Input(
                    id="compare-step",
                    type="number",
                    step=1,
                    value=state["step"],
                    debounce=True,
                    placeholder="step",
                    className="kuro-step",
                    disabled=state["statistic"] != "step",
                ),
                "compare-step",
            ),
            _field(
                "Group by",
                dcc.Dropdown(
                    id="compare-group-by",
                    options=view["keys"],
                    value=state["by"],
                    placeholder="each experiment",
                    className="kuro-metric-pick",
                ),
                "compare-group-by",
            ),
            RefreshControls("compare-refresh"),
            html.Span(view["status"], id="compare-status", className="kuro-status"),
        ],
        className="kuro-toolbar",
    )


def curve_controls(state: dict[str, Any]) -> html.Div:
    return html.Div(
        [
            _field("Trials", _radio("compare-aggregation", AGGREGATIONS, state["trials"])),
            _field(
                "Band",
                _radio("compare-band", BANDS, state["band"]),
                id="compare-band-field",
                className=show_band_choice(state["trials"]),
            ),
            _field("x axis", _radio("compare-x", X_AXES, state["x"])),
            html.Div(
                [
                    html.Span("Smoothing", className="kuro-label"),
                    dcc.Slider(
                        id="compare-smoothing",
                        min=0,
                        max=0.99,
                        step=0.01,
                        value=state["smoothing"],
                        marks={0: "off", 0.5: "0.5", 0.9: "0.9"},
                        tooltip={"placement": "bottom"},
                        allow_direct_input=False,
                    ),
                ],
                className="kuro-field kuro-slider",
            ),
            dcc.Checklist(
                id="compare-log-y",
                options=[{"label": "log y", "value": "log"}],
                value=["log"] if state["log"] else [],
                inline=True,
                className="kuro-check",
            ),
        ],
        className="kuro-curve-controls",
    )


@callback(
    Output("compare-band-field", "className"),
    Input("compare-aggregation", "value"),
    prevent_initial_call=True,  # the layout draws the first view
)
def show_band_choice(aggregation: str) -> str:
    return "kuro-field" if aggregation == "mean" else "kuro-field kuro-disabled"
