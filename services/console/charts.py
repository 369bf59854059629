"""Server-rendered SVG charts (matplotlib, no JavaScript), each with a text alternative.

The SVG carries `role="img"`, a `<title>` and a `<desc>` summarising the numbers; the page
shows the same numbers in a table, which is the full text alternative.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from html import escape

from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Okabe-Ito colours, distinguishable with colour-blindness; all >= 3:1 against white
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")


def bar_chart(title: str, description: str, labels: Sequence[str], series: dict[str, Sequence[float]], *,
              unit: str = "", chart_id: str = "chart") -> str:
    figure = Figure(figsize=(8, 3.2), dpi=100)
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    count = max(len(series), 1)
    width = 0.8 / count
    positions = range(len(labels))
    for i, (name, values) in enumerate(series.items()):
        axes.bar([p + i * width - 0.4 + width / 2 for p in positions], values, width,
                 label=name, color=COLOURS[i % len(COLOURS)])
    axes.set_xticks(list(positions), list(labels), rotation=45 if len(labels) > 8 else 0, ha="right"
                    if len(labels) > 8 else "center", fontsize=8)
    axes.set_ylabel(unit, fontsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}".replace(",", " "))
    axes.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    out = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": chart_id}):  # real text, stable ids
        figure.savefig(out, format="svg")
    svg = out.getvalue()
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg,
                 flags=re.S)  # a global `*` rule would leak into the page
    svg = svg[svg.index("<svg"):]  # drop the XML prologue and doctype
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\sid="([^"]+)"', lambda m: f' id="{chart_id}-{m.group(1)}"', svg)
    svg = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{chart_id}-{m.group(2)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{chart_id}-{m.group(1)})", svg)
    return _accessible(svg, chart_id, title, description)


def _accessible(svg: str, chart_id: str, title: str, description: str) -> str:
    """The root <svg> gets role, label and the title and description as its first children."""
    end = svg.index(">") + 1
    labelled = f"{chart_id}-title {chart_id}-desc"
    opening = svg[:end - 1] + f' role="img" aria-labelledby="{labelled}" focusable="false">'
    texts = (f'<title id="{chart_id}-title">{escape(title)}</title>'
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>')
    return opening + texts + svg[end:]
