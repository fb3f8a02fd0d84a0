"""The report's figures: matplotlib drawing to inline SVG (text kept as text, no scripts).

matplotlib's SVG backend writes static, self-contained vector images: the report needs no
JavaScript and no network when it is opened, and stays sharp when zoomed. Every figure is made
with fixed ids and no date, so the same numbers give the same bytes.
"""

from __future__ import annotations

import functools
import io
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLOR = "#3b6ea8"
MAX_BARS = 25


@functools.cache
def _set_up_matplotlib() -> None:
    """Off-screen drawing with the report's style, once; matplotlib loads only when a figure is drawn."""
    import matplotlib

    matplotlib.use("Agg")  # no display: figures only ever go to a buffer
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text: searchable, small
            "svg.hashsalt": "dynosaur-report",  # stable element ids
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def _svg(figure: Figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: the SVG sits inside HTML


def bars(counts: Counter, title: str, *, xlabel: str = "", limit: int = MAX_BARS) -> str:
    """A horizontal bar chart of the largest counts (the rest summed into one bar)."""
    _set_up_matplotlib()
    import matplotlib.pyplot as plt

    items = counts.most_common()
    shown = items[:limit]
    rest = sum(n for _, n in items[limit:])
    if rest:
        shown.append((f"({len(items) - limit} more)", rest))
    labels = [str(k) if len(str(k)) <= 48 else str(k)[:45] + "..." for k, _ in shown][::-1]
    values = [n for _, n in shown][::-1]
    figure, axes = plt.subplots(figsize=(7.5, 0.6 + 0.26 * max(1, len(values))))
    axes.barh(range(len(values)), values, color=COLOR)
    axes.set_yticks(range(len(values)), labels)
    axes.set_title(title, loc="left")
    axes.set_xlabel(xlabel)
    for y, value in enumerate(values):
        axes.text(value, y, f" {value:,}", va="center", fontsize=8)
    return _svg(figure)


def histogram(lengths: Sequence[int], title: str, xlabel: str) -> str:
    """A histogram of lengths on log-spaced bins (lengths from one word to the longest)."""
    _set_up_matplotlib()
    import matplotlib.pyplot as plt

    values = np.asarray(lengths, dtype=np.int64)
    figure, axes = plt.subplots(figsize=(3.6, 2.4))
    if values.size:
        top = max(2, int(values.max()) + 1)
        edges = np.unique(np.round(np.geomspace(1, top, num=30)).astype(int))
        axes.hist(np.clip(values, 1, None), bins=edges.tolist(), color=COLOR)
        axes.set_xscale("log")
    axes.set_title(title, loc="left")
    axes.set_xlabel(xlabel)
    axes.set_ylabel("records")
    return _svg(figure)


def verb_noun_rings(pairs: Counter, *, verbs: int = 20, nouns: int = 4) -> str:
    """Self-Instruct's figure: the most common root verbs (inner ring) and, for each, its most
    common noun objects (outer ring)."""
    _set_up_matplotlib()
    import matplotlib.pyplot as plt

    by_verb: dict[str, Counter] = {}
    for (verb, noun), count in pairs.items():
        if verb is not None:
            by_verb.setdefault(verb, Counter())[noun or "-"] += count
    top = sorted(by_verb.items(), key=lambda item: (-sum(item[1].values()), item[0]))[:verbs]
    figure, axes = plt.subplots(figsize=(6.5, 6.5))
    if not top:
        axes.text(0.5, 0.5, "no imperative instructions", ha="center")
        axes.axis("off")
        return _svg(figure)
    cmap = plt.get_cmap("tab20")
    inner_sizes, inner_labels, inner_colors = [], [], []
    outer_sizes, outer_labels, outer_colors = [], [], []
    for index, (verb, counter) in enumerate(top):
        color = cmap(index % 20)
        total = sum(counter.values())
        inner_sizes.append(total)
        inner_labels.append(verb)
        inner_colors.append(color)
        shown = counter.most_common(nouns)
        for noun, count in shown:
            outer_sizes.append(count)
            outer_labels.append(noun if count / max(1, sum(inner_sizes)) > 0.0 else "")
            outer_colors.append((*color[:3], 0.55))
        rest = total - sum(c for _, c in shown)
        if rest:
            outer_sizes.append(rest)
            outer_labels.append("")
            outer_colors.append((1, 1, 1, 0))
    grand = sum(outer_sizes)
    outer_labels = [
        label if size / grand >= 0.012 else "" for label, size in zip(outer_labels, outer_sizes, strict=True)
    ]
    inner_labels = [
        label if size / grand >= 0.015 else "" for label, size in zip(inner_labels, inner_sizes, strict=True)
    ]
    wedge = {"width": 0.32, "edgecolor": "white", "linewidth": 0.6}
    axes.pie(
        inner_sizes,
        radius=0.68,
        labels=inner_labels,
        colors=inner_colors,
        labeldistance=0.55,
        wedgeprops=wedge,
        startangle=90,
        counterclock=False,
        textprops={"fontsize": 8},
    )
    axes.pie(
        outer_sizes,
        radius=1.0,
        labels=outer_labels,
        colors=outer_colors,
        labeldistance=0.86,
        wedgeprops=wedge,
        startangle=90,
        counterclock=False,
        textprops={"fontsize": 7},
        rotatelabels=True,
    )
    axes.set(aspect="equal")
    return _svg(figure)
