"""Plotly charts for the notebooks, and the renderer that makes them work in the exported HTML offline.

Every function takes a DataFrame from a named query and returns a `plotly.graph_objects.Figure`
(or None when there is nothing to draw). Text taken from the data (processor names, countries,
resources…) is HTML-escaped before it reaches plotly, which would otherwise read tags in labels.
No geo maps: plotly fetches their topojson from a CDN when the page is viewed.
"""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import NotebookRenderer

RENDERER = "plotly_mimetype+notebook"
TEMPLATE = "plotly_white"
HEIGHT = 420


class OfflineNotebookRenderer(NotebookRenderer):
    """plotly's `notebook` renderer with connected=False (plotly.js embedded once per page, no CDN),
    minus the MathJax <script src> that plotly adds to every figure's HTML: that script would load
    from a CDN when an auditor opens the page, and our charts use no LaTeX."""

    def __init__(self) -> None:
        super().__init__(connected=False, config={"displaylogo": False, "responsive": True})

    def to_mimebundle(self, fig_dict):
        html_text = pio.to_html(
            fig_dict,
            config=self.config,
            auto_play=self.auto_play,
            include_plotlyjs=False,  # embedded once, by activate()
            include_mathjax=False,
            full_html=False,
            default_width="100%",
            default_height=HEIGHT,
            validate=False,
        )
        return {"text/html": html_text}


def use_offline_renderer() -> str:
    """Make figures render as `plotly_mimetype+notebook` with the offline notebook renderer:
    JupyterLab draws the plotly mimetype, nbconvert's HTML keeps the text/html with plotly.js
    embedded, so the exported page works without a network."""
    pio.renderers["notebook"] = OfflineNotebookRenderer()
    pio.renderers.default = RENDERER
    pio.templates.default = TEMPLATE
    return pio.renderers.default


def palette(n: int) -> list[str]:
    """n colours, all different: the template's ten while they suffice, else plotly's 24 distinct ones (the
    findings of 16 rules must not share colours; beyond 24 series colours would repeat)."""
    import plotly.express as px

    base = list(pio.templates[TEMPLATE].layout.colorway or [])
    colours = base if n <= len(base) else list(px.colors.qualitative.Dark24)
    return [colours[k % len(colours)] for k in range(n)]


def _escaped(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = df.copy()
    for c in columns:
        if c in out.columns and (out[c].dtype == object or pd.api.types.is_string_dtype(out[c])):
            out[c] = out[c].map(lambda v: html.escape(str(v)) if v is not None and v == v else v)
    return out


def _layout(fig: go.Figure, title: str, x_title: str | None, y_title: str | None) -> go.Figure:
    fig.update_layout(
        title={"text": html.escape(title)}, height=HEIGHT, template=TEMPLATE,
        margin={"l": 60, "r": 20, "t": 60, "b": 50}, legend={"title": {"text": ""}},
    )
    if x_title is not None:
        fig.update_xaxes(title_text=html.escape(x_title))
    if y_title is not None:
        fig.update_yaxes(title_text=html.escape(y_title))
    return fig


def bar(df: pd.DataFrame, x: str, y: str, *, color: str | None = None, title: str = "",
        x_title: str | None = None, y_title: str | None = None, horizontal: bool = False) -> go.Figure | None:
    """Bars of y by x, one series per value of color (stacked)."""
    if df.empty:
        return None
    df = _escaped(df, [x, color] if color else [x])
    fig = go.Figure()
    groups = df.groupby(color, sort=True) if color else [("", df)]
    for name, part in groups:
        name = name[0] if isinstance(name, tuple) else name
        xs, ys = (part[y], part[x]) if horizontal else (part[x], part[y])
        fig.add_trace(go.Bar(x=xs, y=ys, name=str(name), orientation="h" if horizontal else "v"))
    fig.update_layout(barmode="stack", showlegend=bool(color))
    if not horizontal:
        fig.update_xaxes(type="category")
    return _layout(fig, title, x_title if x_title is not None else x, y_title if y_title is not None else y)


def lines(df: pd.DataFrame, x: str, ys: Sequence[str] | None = None, *, color: str | None = None,
          value: str | None = None, title: str = "", x_title: str | None = None,
          y_title: str | None = None) -> go.Figure | None:
    """One line per column in ys (wide data), or one line per value of color (long data, value column)."""
    if df.empty:
        return None
    fig = go.Figure()
    if color:
        df = _escaped(df, [x, color])
        groups = list(df.groupby(color, sort=True))
        for (name, part), colour in zip(groups, palette(len(groups))):
            name = name[0] if isinstance(name, tuple) else name
            fig.add_trace(go.Scatter(x=part[x], y=part[value], name=str(name), mode="lines+markers",
                                     line={"color": colour}, marker={"color": colour}))
    else:
        df = _escaped(df, [x])
        for col in ys or []:
            if df[col].isna().all():
                continue  # not assessed: drawn as no line rather than as zeros
            fig.add_trace(go.Scatter(x=df[x], y=df[col], name=col.replace("_", " "), mode="lines+markers"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero")
    return _layout(fig, title, x_title if x_title is not None else x, y_title)


def heatmap(df: pd.DataFrame, x: str, y: str, z: str, *, title: str = "", x_title: str | None = None,
            y_title: str | None = None) -> go.Figure | None:
    """A y × x grid coloured (and labelled) by z; missing combinations are 0."""
    if df.empty:
        return None
    df = _escaped(df, [x, y])
    grid = df.pivot_table(index=y, columns=x, values=z, aggfunc="sum", fill_value=0).sort_index()
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=[str(c) for c in grid.columns], y=[str(i) for i in grid.index],
        colorscale="Blues", texttemplate="%{z}", hovertemplate="%{y} × %{x}: %{z}<extra></extra>",
        colorbar={"title": {"text": html.escape(z.replace("_", " "))}},
    ))
    fig.update_xaxes(type="category")  # below the grid: on top, its title ran into the chart's title
    fig.update_yaxes(type="category", autorange="reversed")
    return _layout(fig, title, x_title if x_title is not None else x, y_title if y_title is not None else y)


def ledger_heatmap(df: pd.DataFrame, month: str) -> go.Figure | None:
    """The coverage ledger of one table for the month (analysis/ledger.py): members × UTC days, coloured by
    events, each cell labelled with its count and, on a missing, thin or declared day, the state."""
    if df.empty:
        return None
    df = _escaped(df.assign(day=df["day"].dt.strftime("%d")), ["member"])
    members = list(dict.fromkeys(df["member"]))
    days = sorted(set(df["day"]))
    at = {(m, d): (int(n), st, e) for m, d, n, st, e in zip(df["member"], df["day"], df["events"], df["state"],
                                                             df["expected"])}
    z = [[at.get((m, d), (0, "ok", None))[0] for d in days] for m in members]
    mark = {"missing": "✕ missing", "thin": "▽ thin", "declared": "declared"}
    text = [[f"{at[(m, d)][0]}<br>{mark[at[(m, d)][1]]}" if (m, d) in at and at[(m, d)][1] in mark
             else str(at.get((m, d), (0,))[0]) for d in days] for m in members]
    hover = [[f"{m}, {month}-{d}: {at[(m, d)][0]} events"
              + (f", expected {at[(m, d)][2]:g}" if (m, d) in at and at[(m, d)][2] == at[(m, d)][2]
                 and at[(m, d)][2] is not None else "")
              + (f" ({at[(m, d)][1]})" if (m, d) in at and at[(m, d)][1] != "ok" else "") for d in days]
             for m in members]
    fig = go.Figure(go.Heatmap(
        z=z, x=days, y=members, text=text, customdata=hover, texttemplate="%{text}", colorscale="Blues",
        hovertemplate="%{customdata}<extra></extra>", colorbar={"title": {"text": "events"}}, xgap=1, ygap=1,
    ))
    for row, m in enumerate(members):
        for col, d in enumerate(days):
            if (m, d) in at and at[(m, d)][1] in ("missing", "thin"):
                fig.add_shape(type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5,
                              line={"color": "#b00020", "width": 3})
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    fig = _layout(fig, f"Events per day, {month} (red frame: a missing or thin day)", "day of the month (UTC)", "")
    fig.update_layout(height=max(HEIGHT // 2, 90 + 40 * len(members)))
    return fig


def whole_step(largest: float, ticks: int = 8) -> int:
    """A whole-number tick step (1, 2, 5, 10, 20, 50, …) giving at most `ticks` steps up to `largest`:
    counts are never drawn on ticks of 0.5."""
    step = 1
    while largest / step > ticks:
        for factor in (2, 2.5, 2):  # 1 -> 2 -> 5 -> 10 -> 20 -> 50 …
            step = int(step * factor)
            if largest / step <= ticks:
                break
    return step


def _day_ranges(days: Sequence[int], gap: int = 7) -> list[tuple[int, int]]:
    """Sorted whole numbers grouped into ranges of neighbours ([28, 29, 31, 92] -> [(28, 31), (92, 92)])."""
    ranges: list[list[int]] = []
    for d in sorted(set(days)):
        if ranges and d - ranges[-1][1] <= gap:
            ranges[-1][1] = d
        else:
            ranges.append([d, d])
    return [(a, b) for a, b in ranges]


def deadline_days(df: pd.DataFrame, start: str, end: str) -> list[tuple[int, int]]:
    """The rows' deadlines in calendar days after `start` (the days between the dates of start and end, as
    the queries' date_diff('day', …) counts days to close), grouped: a deadline of one month is 28 to 31
    days, an extended one of three months about 90."""
    both = df[[start, end]].dropna()
    if both.empty:
        return []
    days = (pd.to_datetime(both[end]).dt.normalize() - pd.to_datetime(both[start]).dt.normalize()).dt.days
    return _day_ranges([int(d) for d in days])


def histogram(df: pd.DataFrame, x: str, *, color: str | None = None, title: str = "",
              x_title: str | None = None, nbins: int = 30, deadline: tuple[str, str] | None = None,
              deadline_label: str = "deadline") -> go.Figure | None:
    """Distribution of a whole number of days x (days to close, days past a deadline), one stacked colour
    per value of color. Every colour shares the same bins, each a whole number of days wide (edges at
    half days), so stacked bars never overlap; the counts are on whole-number ticks. deadline: two columns
    (for example received_at and deadline) whose dates, days apart, are each row's deadline: drawn as a
    labelled dashed line at that day, or a labelled band where the rows' deadlines differ (a month is 28
    to 31 days), and kept in view when no row reaches it."""
    if df.empty:
        return None
    days = pd.to_numeric(df[x], errors="coerce")
    if days.dropna().empty:
        return None
    marks = deadline_days(df, *deadline) if deadline else []
    lo, hi = int(np.floor(days.min())), int(np.ceil(days.max()))
    size = max(1, -(-(hi - lo + 1) // nbins))
    start = lo - 0.5
    edges = start + size * np.arange(-(-(hi - lo + 1) // size) + 1)
    bins = {"start": float(edges[0]), "end": float(edges[-1]), "size": size}
    df = _escaped(df, [color] if color else [])
    fig = go.Figure()
    groups = list(df.groupby(color, sort=True)) if color else [("", df)]
    highest = np.zeros(len(edges) - 1, dtype=int)
    for (name, part), colour in zip(groups, palette(len(groups))):
        name = name[0] if isinstance(name, tuple) else name
        values = pd.to_numeric(part[x], errors="coerce").dropna()
        highest += np.histogram(values, bins=edges)[0]
        fig.add_trace(go.Histogram(x=values, name=str(name), xbins=bins, autobinx=False, marker={"color": colour},
                                   hovertemplate="%{x} days: %{y}<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="stack", showlegend=bool(color), bargap=0.05)
    fig.update_yaxes(tick0=0, dtick=whole_step(max(int(highest.max()), 1)), rangemode="tozero", tickformat=",d")
    for first, last in marks:
        text = html.escape(f"{deadline_label}: {first} days" if first == last
                           else f"{deadline_label}: {first}–{last} days")
        if first == last:
            fig.add_vline(x=first, line={"color": "#b00020", "dash": "dash", "width": 2}, annotation_text=text,
                          annotation_position="top left", annotation_font_color="#b00020")
        else:
            fig.add_vrect(x0=first - 0.5, x1=last + 0.5, fillcolor="#b00020", opacity=0.12, line_width=0,
                          annotation_text=text, annotation_position="top left", annotation_font_color="#b00020")
    if marks:
        left = min(start, min(m[0] for m in marks) - 1.5)
        right = max(float(edges[-1]), max(m[1] for m in marks) + 1.5)
        fig.update_xaxes(range=[left, right])
    return _layout(fig, title, x_title if x_title is not None else x, "count")


def hours(df: pd.DataFrame, *, hour: str = "local_hour", value: str = "events", color: str = "source_country",
          title: str = "") -> go.Figure | None:
    """Events by hour of the day (0–23, every hour shown), one stacked series per color value."""
    if df.empty:
        return None
    df = _escaped(df, [color])
    fig = go.Figure()
    for name, part in df.groupby(color, sort=True):
        name = name[0] if isinstance(name, tuple) else name
        per_hour = part.groupby(hour)[value].sum().reindex(range(24), fill_value=0)
        fig.add_trace(go.Bar(x=list(range(24)), y=per_hour.values, name=str(name)))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickmode="linear", dtick=1, range=[-0.5, 23.5])
    return _layout(fig, title, "hour of the day (local time of the accessing country)", value)


def panels(df: pd.DataFrame, x: str, color: str, values: Sequence[str], *, title: str = "",
           cols: int = 2) -> go.Figure | None:
    """Small multiples: one panel per column in values, one line per value of color in each."""
    if df.empty:
        return None
    from plotly.subplots import make_subplots

    df = _escaped(df, [x, color])
    rows = -(-len(values) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[html.escape(v.replace("_", " ")) for v in values],
                        shared_xaxes=True, vertical_spacing=0.12)
    names = sorted(df[color].dropna().unique())
    colours = palette(len(names))
    for i, v in enumerate(values):
        r, c = divmod(i, cols)
        for k, name in enumerate(names):
            part = df[df[color] == name]
            fig.add_trace(go.Scatter(x=part[x], y=part[v], name=str(name), mode="lines+markers",
                                     legendgroup=str(name), showlegend=i == 0,
                                     line={"color": colours[k]}),
                          row=r + 1, col=c + 1)
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero")
    fig = _layout(fig, title, None, None)
    fig.update_layout(height=HEIGHT * rows * 0.8)
    return fig
