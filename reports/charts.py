"""Bar charts as inline SVG, drawn on the server (no script, no chart library).

Each month has two bars side by side: the fiscal year (solid) and the previous one (pale), so the
April, August and December peaks and the change from last year read at a glance. The SVG carries a
<title> and <desc>; the same numbers are in the table under each chart for screen readers.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 16, 40


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def month_bars(
    *, title: str, labels: list[str], current: list[float], previous: list[float], legend: tuple[str, str]
) -> SafeString:
    """Two bars per month (this year, previous year) with a y axis of four gridlines."""
    top = _nice_max(max([*current, *previous, 0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar = slot * 0.36
    parts = [
        f'<svg class="report-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(legend[0])} / {escape(legend[1])}</desc>",
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" class="axis">{value:g}</text>')
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - 2 * bar) / 2
        for j, (series, css) in enumerate(((previous, "prev"), (current, "curr"))):
            value = series[i]
            h = plot_h * value / top
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" class="bar {css}"><title>{escape(label)}: {value:g}</title></rect>'
            )
        parts.append(
            f'<text x="{LEFT + slot * i + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle" class="axis">{escape(label)}</text>'
        )
    y = HEIGHT - 8
    parts.append(f'<rect x="{LEFT}" y="{y - 10}" width="12" height="12" class="bar curr"/>')
    parts.append(f'<text x="{LEFT + 16}" y="{y}" class="axis">{escape(legend[0])}</text>')
    parts.append(f'<rect x="{LEFT + 200}" y="{y - 10}" width="12" height="12" class="bar prev"/>')
    parts.append(f'<text x="{LEFT + 216}" y="{y}" class="axis">{escape(legend[1])}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above
