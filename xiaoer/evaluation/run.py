"""Builds the evaluation report: held-out messages → in-process Rasa parse → metrics."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from xiaoer.evaluation import metrics
from xiaoer.evaluation.baseline import TfidfFaqMatcher, baseline_top_k
from xiaoer.evaluation.heldout import HeldoutMessage
from xiaoer.evaluation.overlap import find_overlaps, knowledge_questions, training_examples
from xiaoer.evaluation.slices import confidence_histogram, confusion_matrix, slice_figures
from xiaoer.settings import NluSettings
from xiaoer.text import letters_key

ANSWER_THRESHOLD_ENV = "XIAOER_ANSWER_THRESHOLD"
SWEEP = (0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9)


def _keys(ranking: Any) -> tuple[str, ...]:
    return tuple(str(item.get("intent_response_key", "")) for item in ranking or [] if isinstance(item, dict))


def prediction_from_parse(message: HeldoutMessage, parsed: dict[str, Any]) -> metrics.Prediction:
    """A Prediction from `/model/parse`-shaped output, reading the gold intent's selector ranking."""
    intent = parsed.get("intent") or {}
    ranking: tuple[str, ...] = ()
    selector_ranking: tuple[str, ...] = ()
    selectors = parsed.get("response_selector") or {}
    selector = selectors.get(message.intent) or selectors.get("default")
    if isinstance(selector, dict):
        ranking = _keys(selector.get("ranking"))
        # The FAQ ranker keeps the selector's own ranking beside its blended one.
        selector_ranking = _keys(selector.get("selector_ranking")) or ranking
    raw = next(
        (
            r
            for r in parsed.get("intent_ranking") or []
            if isinstance(r, dict) and r.get("name") != "nlu_fallback"
        ),
        None,
    )
    return metrics.Prediction(
        raw_intent=str(raw["name"]) if raw else None,
        raw_confidence=float(raw.get("confidence") or 0.0) if raw else None,
        text=message.text,
        gold_intent=message.intent,
        predicted_intent=str(intent.get("name") or "nlu_fallback"),
        confidence=float(intent.get("confidence") or 0.0),
        gold_faq=message.faq,
        faq_ranking=ranking,
        selector_ranking=selector_ranking,
        source=message.source,
    )


def threshold_from_schema(predict_schema) -> tuple[float | None, str]:
    """The fallback threshold the model answers with: the routing component's answer threshold
    (env override first) or FallbackClassifier's threshold."""
    for name, node in predict_schema.nodes.items():
        config = node.config or {}
        if "answer_threshold" in config:
            override = NluSettings().answer_threshold
            if override is not None:
                return override, ANSWER_THRESHOLD_ENV
            return float(config["answer_threshold"]), f"{name}.answer_threshold in the model"
    for name, node in predict_schema.nodes.items():
        if getattr(node.uses, "__name__", "") == "FallbackClassifier":
            return float((node.config or {}).get("threshold", 0.3)), f"{name}.threshold in the model"
    return None, "no fallback component in the model"


def load_agent(model_path: Path):
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parse at debug level; the report is the output here.
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    return Agent.load(str(model_path))


def parse_all(agent, texts: Sequence[str]) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(run())


def _duplicates(messages: Sequence[HeldoutMessage]) -> list[dict]:
    seen: dict[str, list[str]] = defaultdict(list)
    first_text: dict[str, str] = {}
    for m in messages:
        key = letters_key(m.text)
        seen[key].append(m.source)
        first_text.setdefault(key, m.text)
    return [{"text": first_text[k], "sources": v} for k, v in seen.items() if len(v) > 1]


def build_report(
    messages: Sequence[HeldoutMessage],
    parse: Callable[[Sequence[str]], list[dict[str, Any]]],
    *,
    data_dir: Path,
    knowledge_dir: Path,
    threshold: float,
    threshold_source: str,
    model: str,
    model_trained_at: str = "",
    slices: dict[str, Sequence[HeldoutMessage]] | None = None,
) -> dict:
    """The report on `messages` (our own held-out set); `slices` are further held-out sets (the
    realistic and out-of-scope slices) reported beside it, per slice and in the pictures."""
    started = time.monotonic()
    slices = dict(slices or {})
    extra = [m for group in slices.values() for m in group]
    training = list(training_examples(data_dir))
    kb = list(knowledge_questions(knowledge_dir))
    overlaps = find_overlaps(
        ((m.text, m.source) for m in [*messages, *extra]),
        [(text, f"{Path(path).name} ({intent})") for text, intent, path in training]
        + [(text, f"{Path(path).name} ({intent}/{entry})") for text, intent, entry, path in kb],
    )
    parsed_everything = parse([m.text for m in [*messages, *extra]])
    parsed_all = parsed_everything[: len(messages)]
    predictions = [prediction_from_parse(m, parsed) for m, parsed in zip(messages, parsed_all, strict=True)]
    by_slice: dict[str, list[metrics.Prediction]] = {"ours": predictions}
    cursor = len(messages)
    for name, group in slices.items():
        parsed_group = parsed_everything[cursor : cursor + len(group)]
        by_slice[name] = [
            prediction_from_parse(m, parsed) for m, parsed in zip(group, parsed_group, strict=True)
        ]
        cursor += len(group)
    everything = [p for group in by_slice.values() for p in group]
    # KB intents the model has no response selector for: every one of their messages is a FAQ miss.
    # (A gated selector skips messages whose intent DIET ranks low: absent from one parse is not
    # absent from the model, so only an intent no parse ever had a pick for counts.)
    picked = {key for parsed in parsed_all for key in (parsed.get("response_selector") or {})}
    missing_selectors = sorted({m.intent for m in messages if m.faq and not {m.intent, "default"} & picked})
    kb_messages = [(m.text, m.intent_response_key) for m in messages if m.faq]
    baseline = None
    if kb and kb_messages:
        matcher = TfidfFaqMatcher([(text, f"{intent}/{entry}") for text, intent, entry, _ in kb])
        baseline = baseline_top_k(matcher, kb_messages)
    files: dict[str, int] = defaultdict(int)
    file_right: dict[str, int] = defaultdict(int)
    for m, p in zip(messages, predictions, strict=True):
        name = m.source.split(":")[0]
        files[name] += 1
        file_right[name] += p.predicted_intent == p.gold_intent
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": model,
        "model_trained_at": model_trained_at,
        "threshold_source": threshold_source,
        "data": {
            "heldout_files": dict(sorted(files.items())),
            "heldout_file_accuracy": {name: file_right[name] / n for name, n in sorted(files.items())},
            "heldout_messages": len(messages),
            "heldout_kb_messages": len(kb_messages),
            "training_examples": len(training),
            "training_intents": len({intent.split("/")[0] for _, intent, _ in training}),
            "knowledge_entries": len({(intent, entry) for _, intent, entry, _ in kb}),
            "knowledge_questions": len(kb),
        },
        "intents": metrics.intent_report(predictions),
        "confused_pairs": metrics.confused_pairs(predictions),
        "faq": {**metrics.faq_top_k(predictions), "missing_selectors": missing_selectors}
        if kb_messages
        else None,
        "faq_selector_alone": metrics.faq_top_k(predictions, selector_alone=True) if kb_messages else None,
        "baseline": baseline,
        "trigger": metrics.trigger_rate(predictions, threshold),
        "threshold_sweep": metrics.threshold_sweep(predictions, SWEEP),
        "overlaps": overlaps,
        "heldout_duplicates": _duplicates([*messages, *extra]),
        "slices": [slice_figures(name, group, threshold) for name, group in by_slice.items()]
        if slices
        else [],
        "pictures": {
            "confusion": confusion_matrix(everything),
            "confidence": confidence_histogram(everything),
        },
        "errors": [
            {
                "text": p.text,
                "gold": p.gold_intent,
                "predicted": p.predicted_intent,
                "confidence": p.confidence,
                "source": p.source,
            }
            for p in everything
            if p.gold_intent != p.predicted_intent
        ],
        "seconds": time.monotonic() - started,
    }
