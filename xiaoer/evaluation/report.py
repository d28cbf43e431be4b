"""The evaluation report as Markdown, HTML and JSON. Buyer text is escaped in both formats."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from xiaoer.evaluation import pictures

DEFINITIONS = {
    "intent_metrics": (
        "Per gold intent: precision = right predictions of the intent / all predictions of it; "
        "recall = right / held-out messages of it (support); F1 their harmonic mean. Macro-F1 is the "
        "plain mean over gold intents, weighted-F1 the support-weighted mean. Labels only ever "
        "predicted (nlu_fallback) are listed apart, not averaged."
    ),
    "faq_top_k": (
        "Over held-out messages labelled with a KB entry (`faq`): right at k when the top intent "
        "equals the gold intent and `<gold intent>/<faq>` is among the first k keys of "
        "`response_selector[<gold intent>].ranking` (or the `default` selector's). Intent mistakes "
        "count as misses. 'given intent' divides by the messages whose intent was right."
    ),
    "trigger_rate": (
        "Share of in-scope held-out messages (gold intent not out_of_scope) whose predicted intent "
        "is not nlu_fallback/out_of_scope and whose confidence is at least the fallback threshold "
        "(the threshold in force when the model answers). 'right intent' additionally requires the "
        "predicted intent to be the gold one; 'all messages' divides by every held-out message."
    ),
    "threshold_sweep": (
        "What another answer threshold would give, from the classifier's own top intent and "
        "confidence before fallback relabelling (the ambiguity rule is not replayed): trigger rate "
        "as above, and answer precision = answered messages with the right intent / all answered "
        "messages (off-topic ones included)."
    ),
    "baseline": (
        "Character 1–3-gram TF-IDF (after NFKC, traditional→simplified, case folding, letters and "
        "digits only) over every knowledge/*.yml question and variant; an entry scores its best "
        "question's cosine similarity; right at k when the gold `<intent>/<faq>` is among the k "
        "best entries. No intent step: it picks among all entries at once."
    ),
    "overlap": (
        "A held-out text overlaps when, after the same normalisation as the baseline, it equals a "
        "training example (data/**/*.yml) or a knowledge question/variant. Overlaps inflate the "
        "figures: rewrite the held-out message."
    ),
}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def md_text(text: object) -> str:
    """Buyer text safe inside a Markdown table cell: no HTML, no markup, no line breaks."""
    escaped = html.escape(str(text), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", escaped).replace("\n", " ").replace("\r", " ")


def _pct(value: float) -> str:
    return f"{value:.3f}"


def headline(report: dict) -> list[tuple[str, str]]:
    intents, trigger, faq = report["intents"], report["trigger"], report.get("faq")
    rows = [
        ("intent macro-F1", _pct(intents["macro_f1"])),
        ("intent weighted-F1", _pct(intents["weighted_f1"])),
        ("intent accuracy", _pct(intents["accuracy"])),
    ]
    if faq and faq["messages"]:
        rows += [
            ("FAQ top-1 (model)", _pct(faq["top1"])),
            ("FAQ top-3 (model)", _pct(faq["top3"])),
        ]
    alone = report.get("faq_selector_alone")
    if alone and alone["messages"]:
        rows += [
            ("FAQ top-1 (entry selector alone)", _pct(alone["top1"])),
            ("FAQ top-3 (entry selector alone)", _pct(alone["top3"])),
        ]
    baseline = report.get("baseline")
    if baseline and baseline["messages"]:
        rows += [
            ("FAQ top-1 (TF-IDF baseline)", _pct(baseline["top1"])),
            ("FAQ top-3 (TF-IDF baseline)", _pct(baseline["top3"])),
        ]
    rows.append(("answer trigger rate", _pct(trigger["rate"])))
    return rows


SLICE_HEADER = [
    "slice",
    "messages",
    "intent accuracy",
    "macro-F1",
    "FAQ top-1",
    "OOS given a store answer",
    "in-scope sent to OOS",
    "trigger rate",
    "top confusions",
]


def _rate(value: float | None) -> str:
    return "—" if value is None else _pct(value)


def slice_row(item: dict) -> list[str]:
    return [
        item["name"],
        str(item["messages"]),
        _pct(item["accuracy"]),
        _pct(item["macro_f1"]),
        _rate(item["faq_top1"]),
        _rate(item["out_of_scope_given_store_answer"]),
        _rate(item["in_scope_sent_to_out_of_scope"]),
        _rate(item["trigger_rate"]),
        "; ".join(f"{c['gold']}→{c['predicted']} ×{c['count']}" for c in item["confused_pairs"][:3]),
    ]


def _faq_row(matcher: str, figures: dict) -> list[str]:
    return [
        matcher,
        str(figures["messages"]),
        _pct(figures["top1"]),
        _pct(figures["top3"]),
        f"{_pct(figures['top1_given_intent'])} / {_pct(figures['top3_given_intent'])}",
    ]


def _sections(report: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) tables shared by the Markdown and HTML renderings; cells are raw text."""
    data = report["data"]
    sections = [
        ("Figures", ["figure", "value"], [list(r) for r in headline(report)]),
        *(
            [("Slices", SLICE_HEADER, [slice_row(item) for item in report["slices"]])]
            if report.get("slices")
            else []
        ),
        (
            "Run",
            ["what", "value"],
            [
                ["date", report["generated_at"]],
                ["model", report["model"]],
                ["model trained at", str(report.get("model_trained_at", ""))],
                ["fallback threshold", f"{report['trigger']['threshold']} ({report['threshold_source']})"],
                [
                    "held-out messages",
                    f"{data['heldout_messages']} ({data['heldout_kb_messages']} with a KB entry)",
                ],
                [
                    "held-out files (messages, intent accuracy)",
                    ", ".join(
                        f"{k}: {v} ({data.get('heldout_file_accuracy', {}).get(k, 0.0):.3f})"
                        for k, v in data["heldout_files"].items()
                    ),
                ],
                [
                    "training examples",
                    f"{data['training_examples']} over {data['training_intents']} top-level intents",
                ],
                [
                    "knowledge base",
                    f"{data['knowledge_entries']} entries, {data['knowledge_questions']} questions and variants",
                ],
                ["overlaps with training data", str(len(report["overlaps"]))],
                ["seconds", f"{report['seconds']:.1f}"],
            ],
        ),
    ]
    intents = report["intents"]
    rows = [
        [name, _pct(m["precision"]), _pct(m["recall"]), _pct(m["f1"]), str(m["support"])]
        for name, m in sorted(intents["per_intent"].items(), key=lambda kv: (kv[1]["f1"], kv[0]))
    ]
    rows.append(
        [
            "macro avg",
            _pct(intents["macro_precision"]),
            _pct(intents["macro_recall"]),
            _pct(intents["macro_f1"]),
            str(intents["support"]),
        ]
    )
    rows.append(["weighted avg", "", "", _pct(intents["weighted_f1"]), str(intents["support"])])
    for label, count in intents["predicted_only"].items():
        rows.append([f"{label} (predicted only)", "", "", "", f"{count} predicted"])
    sections.append(("Intents (weakest first)", ["intent", "precision", "recall", "F1", "support"], rows))
    sections.append(
        (
            "Most confused intent pairs",
            ["gold", "predicted", "count", "examples"],
            [
                [p["gold"], p["predicted"], str(p["count"]), " ／ ".join(p["examples"])]
                for p in report["confused_pairs"]
            ],
        )
    )
    faq, baseline = report.get("faq"), report.get("baseline")
    if faq and faq["messages"]:
        faq_rows = [
            _faq_row("the model's pick (entry selector, re-ranked by the FAQ ranker when configured)", faq)
        ]
        alone = report.get("faq_selector_alone")
        if alone:
            faq_rows.append(_faq_row("entry selector alone", alone))
        if baseline:
            faq_rows.append(
                [
                    "TF-IDF nearest question (baseline)",
                    str(baseline["messages"]),
                    _pct(baseline["top1"]),
                    _pct(baseline["top3"]),
                    "",
                ]
            )
        for intent in faq.get("missing_selectors") or []:
            faq_rows.append([f"(no response selector for {intent} in the model)", "", "", "", ""])
        sections.append(
            (
                "FAQ matching",
                ["matcher", "messages", "top-1", "top-3", "top-1 / top-3 given right intent"],
                faq_rows,
            )
        )
    trigger = report["trigger"]
    sections.append(
        (
            "Answer trigger rate",
            ["figure", "value"],
            [
                ["in-scope messages", str(trigger["in_scope_messages"])],
                ["substantive answers", str(trigger["triggered"])],
                ["trigger rate", _pct(trigger["rate"])],
                ["trigger rate, right intent", _pct(trigger["correct"])],
                ["trigger rate, all messages", _pct(trigger["all_messages"])],
            ],
        )
    )
    if report.get("threshold_sweep"):
        sections.append(
            (
                "Other answer thresholds (XIAOER_ANSWER_THRESHOLD, no retraining)",
                ["threshold", "trigger rate", "answer precision"],
                [
                    [str(r["threshold"]), _pct(r["trigger_rate"]), _pct(r["answer_precision"])]
                    for r in report["threshold_sweep"]
                ],
            )
        )
    if report["overlaps"]:
        sections.append(
            (
                "Overlaps with training data (fix these)",
                ["held-out", "where", "training text", "in"],
                [
                    [o["heldout"], o["heldout_source"], o["training"], o["training_source"]]
                    for o in report["overlaps"]
                ],
            )
        )
    if report.get("heldout_duplicates"):
        sections.append(
            (
                "Duplicate held-out messages",
                ["text", "where"],
                [[d["text"], ", ".join(d["sources"])] for d in report["heldout_duplicates"]],
            )
        )
    sections.append(
        (
            "Misclassified messages",
            ["text", "gold", "predicted", "confidence", "where"],
            [
                [e["text"], e["gold"], e["predicted"], f"{e['confidence']:.2f}", e["source"]]
                for e in report["errors"]
            ],
        )
    )
    sections.append(("Definitions", ["figure", "definition"], [[k, v] for k, v in DEFINITIONS.items()]))
    return sections


def to_markdown(report: dict) -> str:
    lines = ["# Xiaoer NLU evaluation on the held-out set", ""]
    for title, header, rows in _sections(report):
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["(none)", ""]
            continue
        lines.append("| " + " | ".join(md_text(h) for h in header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(md_text(cell) for cell in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def to_html(report: dict) -> str:
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        "<title>Xiaoer NLU evaluation</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
        f"th{{background:#f3f3f3}}{pictures.STYLE}</style>",
        "</head><body>",
        "<h1>Xiaoer NLU evaluation on the held-out set</h1>",
    ]
    drawn = report.get("pictures")
    if drawn:
        if report.get("slices"):
            parts += ["<h2>Slices at a glance</h2>", pictures.slice_bars(report["slices"])]
        parts += [
            "<h2>Confidence of right and wrong answers (all slices)</h2>",
            pictures.histogram(drawn["confidence"]),
            "<h2>Confusion matrix (all slices)</h2>",
            pictures.heat_map(drawn["confusion"]),
        ]
    for title, header, rows in _sections(report):
        parts.append(f"<h2>{esc(title)}</h2>")
        if not rows:
            parts.append("<p>(none)</p>")
            continue
        parts.append(
            "<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead><tbody>"
        )
        parts += ["<tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in row) + "</tr>" for row in rows]
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def to_console(report: dict) -> str:
    lines = [f"Held-out evaluation, {report['generated_at']}, model {report['model']}"]
    data = report["data"]
    lines.append(
        f"  {data['heldout_messages']} held-out messages ({data['heldout_kb_messages']} with a KB entry), "
        f"{data['training_examples']} training examples, {data['knowledge_entries']} KB entries"
    )
    lines += [f"  {name:<36} {value}" for name, value in headline(report)]
    weakest = sorted(report["intents"]["per_intent"].items(), key=lambda kv: kv[1]["f1"])[:5]
    lines.append(f"  {'weakest intents':<36} " + ", ".join(f"{k} {m['f1']:.2f}" for k, m in weakest))
    for pair in report["confused_pairs"][:5]:
        lines.append(
            f"  confused {pair['gold']} → {pair['predicted']} ×{pair['count']}: {pair['examples'][0]}"
        )
    for item in report.get("slices") or []:
        lines.append(
            f"  slice {item['name']:<13} {item['messages']:>4} msgs  accuracy {_pct(item['accuracy'])}  "
            f"macro-F1 {_pct(item['macro_f1'])}  FAQ top-1 {_rate(item['faq_top1'])}  "
            f"OOS→store {_rate(item['out_of_scope_given_store_answer'])}  "
            f"in-scope→OOS {_rate(item['in_scope_sent_to_out_of_scope'])}  trigger {_rate(item['trigger_rate'])}"
        )
    if report.get("faq") and report["faq"].get("missing_selectors"):
        lines.append(
            "  WARNING: no response selector in the model for "
            + ", ".join(report["faq"]["missing_selectors"])
        )
    if report["overlaps"]:
        lines.append(
            f"  WARNING: {len(report['overlaps'])} held-out message(s) equal training examples (see report)"
        )
    return "\n".join(lines)


def write_reports(report: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"md": out_dir / "report.md", "html": out_dir / "report.html", "json": out_dir / "report.json"}
    paths["md"].write_text(to_markdown(report), encoding="utf-8")
    paths["html"].write_text(to_html(report), encoding="utf-8")
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return paths
