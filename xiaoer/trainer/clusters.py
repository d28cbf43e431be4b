"""Similar missed questions grouped, each group with what a trainer needs to fix it.

Character n-gram TF-IDF (Chinese has no spaces; 1–3 characters carry words and typos alike) and
agglomerative clustering on cosine distance, from scikit-learn (a Rasa dependency). A cluster's
suggested target is the intent or knowledge entry whose training text is nearest to the cluster's
centre in the same space; none near enough means a new knowledge entry (or out of scope).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Sequence

from xiaoer.logmask import mask
from xiaoer.text import normalize_text
from xiaoer.trainer.misses import Miss

# Cosine distance under which two questions may share a cluster (average linkage).
DISTANCE = 0.75
# Below this similarity to any training text, nothing existing fits.
SUGGEST_MIN = 0.25
EXAMPLES = 5


@dataclass(frozen=True)
class Reference:
    """A training text and what it trains: an intent, or a knowledge entry (intent/entry id)."""

    text: str
    kind: str  # "intent" | "knowledge"
    name: str


@dataclass
class Cluster:
    label: str
    misses: List[Miss]
    suggested: Dict[str, object]

    @property
    def count(self) -> int:
        return len(self.misses)

    def as_dict(self) -> dict:
        def top(counter: Counter, n: int = 3) -> List[dict]:
            return [{"name": name, "count": count} for name, count in counter.most_common(n)]

        stages = Counter(m.stage for m in self.misses)
        return {
            "label": self.label,
            "count": self.count,
            "examples": [mask(m.text) for m in self.misses[:EXAMPLES]],
            "stage": stages.most_common(1)[0][0],
            "signals": dict(Counter(s for m in self.misses for s in sorted(m.signals)).most_common()),
            "intents": top(Counter(m.intent or "—" for m in self.misses)),
            "answers": top(Counter(a for m in self.misses for a in m.answers[:1])),
            "knowledge": top(Counter(m.knowledge for m in self.misses if m.knowledge)),
            "conversations": sorted({m.conversation_id for m in self.misses})[:20],
            "suggested": self.suggested,
        }


def _topic_text(text: str) -> str:
    """What a question is about: order numbers, phones and amounts say nothing about that."""
    return re.sub(r"\d+", "#", normalize_text(text))


def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)


def cluster(misses: Sequence[Miss], references: Sequence[Reference]) -> List[Cluster]:
    """Clusters of similar misses, biggest first (ties: most recent first)."""
    if not misses:
        return []
    # Misses and training texts in one space, each text normalised once.
    texts = [_topic_text(item.text) for item in [*misses, *references]]
    matrix = _vectorizer().fit_transform(texts)
    vectors = matrix[: len(misses)]
    reference_vectors = matrix[len(misses) :] if references else None
    if len(misses) == 1:
        labels = [0]
    else:
        from sklearn.cluster import AgglomerativeClustering

        model = AgglomerativeClustering(
            n_clusters=None, affinity="cosine", linkage="average", distance_threshold=DISTANCE
        )
        labels = list(model.fit_predict(vectors.toarray()))
    groups: Dict[int, List[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    clusters = []
    for members in groups.values():
        members.sort(key=lambda i: -misses[i].timestamp)
        centre = vectors[members].mean(axis=0)
        clusters.append(
            Cluster(
                label=mask(misses[_central(vectors, members, centre)].text),
                misses=[misses[i] for i in members],
                suggested=_suggest(centre, references, reference_vectors, [misses[i] for i in members]),
            )
        )
    clusters.sort(key=lambda c: (-c.count, -max(m.timestamp for m in c.misses)))
    return clusters


def _central(vectors, members: List[int], centre) -> int:
    """The member nearest the centre: the cluster's most typical question."""
    import numpy as np

    scores = np.asarray(vectors[members] @ np.asarray(centre).T).ravel()
    return members[int(scores.argmax())]


def _suggest(centre, references: Sequence[Reference], reference_vectors, members: List[Miss]) -> dict:
    import numpy as np

    if reference_vectors is None or not references:
        return {"kind": "new_knowledge_entry", "name": None, "similarity": 0.0}
    norm = float(np.linalg.norm(centre)) or 1.0
    scores = np.asarray(reference_vectors @ (np.asarray(centre).T / norm)).ravel()
    best = int(scores.argmax())
    similarity = round(float(scores[best]), 3)
    if similarity < SUGGEST_MIN:
        return {"kind": "new_knowledge_entry", "name": None, "similarity": similarity}
    reference = references[best]
    return {
        "kind": reference.kind,
        "name": reference.name,
        "similarity": similarity,
        "nearest_example": reference.text,
        # The bot already picks it, so its training text needs these wordings too.
        "bot_already_picks_it": any(
            m.intent == reference.name or m.knowledge == reference.name for m in members
        ),
    }
