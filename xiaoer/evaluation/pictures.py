"""The report's pictures as self-contained HTML (inline SVG and styled tables; no script, no
network): the confusion matrix as a heat map, per-slice bars, and a confidence histogram of right
against wrong answers. Text is escaped."""

from __future__ import annotations

from html import escape

STYLE = (
    ".heat{border-collapse:collapse;font-size:11px}.heat td,.heat th{border:1px solid #eee;padding:2px 4px;"
    "text-align:center;min-width:1.6em}.heat th.col{writing-mode:vertical-rl;transform:rotate(180deg);"
    "text-align:left;white-space:nowrap}.heat th.row{text-align:right;white-space:nowrap}"
    ".legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em 0 1em}"
)
RIGHT, WRONG, BARS = "31,138,62", "200,22,35", ("#3a6ea5", "#7fb069", "#e6a23c", "#c81623", "#8a5cc2")


def heat_map(matrix: dict) -> str:
    """Gold intents down, predicted labels across; the diagonal green, mistakes red, darker = more."""
    rows = matrix["counts"]
    peak = max((n for row in rows for n in row), default=0) or 1
    head = "".join(f'<th class="col">{escape(label)}</th>' for label in matrix["predicted"])
    body = []
    for gold, row in zip(matrix["gold"], rows, strict=True):
        total = sum(row) or 1
        cells = []
        for label, n in zip(matrix["predicted"], row, strict=True):
            colour = RIGHT if label == gold else WRONG
            alpha = 0 if not n else 0.15 + 0.85 * (n / total if label == gold else min(1.0, 3 * n / peak))
            title = escape(f"{gold} → {label}: {n}")
            cells.append(f'<td style="background:rgba({colour},{alpha:.2f})" title="{title}">{n or ""}</td>')
        body.append(f'<tr><th class="row">{escape(gold)}</th>{"".join(cells)}</tr>')
    return (
        '<table class="heat"><thead><tr><th>gold \\ predicted</th>'
        + head
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
    )


def slice_bars(slices: list[dict]) -> str:
    """Grouped horizontal bars per slice: accuracy, macro-F1, trigger rate, out-of-scope given a
    store answer, in-scope sent to out-of-scope (rates 0–100 %)."""
    measures = [
        ("accuracy", "intent accuracy"),
        ("macro_f1", "macro-F1"),
        ("trigger_rate", "trigger rate"),
        ("out_of_scope_given_store_answer", "OOS given a store answer"),
        ("in_scope_sent_to_out_of_scope", "in-scope sent to OOS"),
    ]
    bar, gap, label_width, width = 14, 10, 170, 360
    parts, y = [], 0
    for item in slices:
        parts.append(f'<text x="0" y="{y + 12}" font-weight="bold">{escape(item["name"])}</text>')
        y += 18
        for (key, name), colour in zip(measures, BARS, strict=True):
            value = item.get(key)
            if value is None:
                continue
            length = max(1, round(value * width))
            parts.append(f'<text x="0" y="{y + 11}" font-size="11">{escape(name)}</text>')
            parts.append(f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar}" fill="{colour}"/>')
            parts.append(
                f'<text x="{label_width + length + 4}" y="{y + 11}" font-size="11">{value * 100:.1f}%</text>'
            )
            y += bar + 3
        y += gap
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + width + 60}" height="{y}" '
        f'font-family="sans-serif" role="img" aria-label="per-slice figures">{"".join(parts)}</svg>'
    )


def histogram(hist: dict) -> str:
    """Right (green) and wrong (red) top intents per confidence bin, side by side."""
    right, wrong, edges = hist["right"], hist["wrong"], hist["edges"]
    peak = max(right + wrong + [1])
    column, height, base = 44, 160, 180
    parts = []
    for i, (r, w) in enumerate(zip(right, wrong, strict=True)):
        x = 30 + i * column
        for offset, n, colour in ((0, r, RIGHT), (column // 2 - 2, w, WRONG)):
            h = round(n / peak * height)
            parts.append(
                f'<rect x="{x + offset}" y="{base - h}" width="{column // 2 - 4}" height="{h}" '
                f'fill="rgb({colour})"><title>{n}</title></rect>'
            )
            if n:
                parts.append(f'<text x="{x + offset}" y="{base - h - 3}" font-size="10">{n}</text>')
        parts.append(f'<text x="{x}" y="{base + 14}" font-size="10">{edges[i]:.1f}</text>')
    width = 30 + len(right) * column + 20
    legend = (
        f'<p class="legend"><span style="background:rgb({RIGHT})"></span>right'
        f'<span style="background:rgb({WRONG})"></span>wrong (top intent confidence)</p>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{base + 24}" font-family="sans-serif" '
        f'role="img" aria-label="confidence histogram">{"".join(parts)}</svg>' + legend
    )
