"""Every occurrence of a fixed set of words in one pass over a text (Aho–Corasick).

    automaton = WordAutomaton(["多大", "大小", "能效"])
    automaton.starts("这台多大小")  ->  [[2], [3], []]    (per word, the starts, left to right)

Built once per word set (xiaoer.nlu.attributes caches it): building costs about the total length
of the words times the characters they start with; a scan costs one dictionary step per character
of text plus one per occurrence found, whatever the number of words. The transitions are
precomputed for every state (a DFA), so the scan never walks failure links; word sets here are a
vocabulary of a few hundred short words, for which that table stays small.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Dict, List, Sequence, Tuple


class WordAutomaton:
    """Finds all occurrences, overlapping ones included, of `words` (non-empty strings)."""

    def __init__(self, words: Sequence[str]) -> None:
        if not all(words):
            raise ValueError("an empty word occurs everywhere; it cannot be looked for")
        self.words = tuple(words)
        self.lengths = tuple(map(len, self.words))
        goto: List[Dict[str, int]] = [{}]
        own: List[List[int]] = [[]]  # word indices spelled exactly by the path to the state
        for index, word in enumerate(self.words):
            state = 0
            for char in word:
                nxt = goto[state].get(char)
                if nxt is None:
                    nxt = goto[state][char] = len(goto)
                    goto.append({})
                    own.append([])
                state = nxt
            own[state].append(index)
        # Breadth first: a state's failure state (its longest proper suffix in the trie) is
        # shallower, so its full transitions and outputs are ready when the state is reached.
        delta: List[Dict[str, int]] = [dict(goto[0])] + [{} for _ in goto[1:]]
        outputs: List[Tuple[int, ...]] = [()] * len(goto)
        fail = [0] * len(goto)
        queue = deque(goto[0].values())
        for child in queue:
            outputs[child] = tuple(own[child])
        while queue:
            state = queue.popleft()
            delta[state] = {**delta[fail[state]], **goto[state]}
            for char, child in goto[state].items():
                fail[child] = delta[fail[state]].get(char, 0)
                outputs[child] = tuple(own[child]) + outputs[fail[child]]
                queue.append(child)
        self._delta = delta
        self._outputs = outputs
        # No word contains any other character: the scan skips runs of them, back at the root.
        alphabet = sorted({char for word in self.words for char in word})
        self._runs = re.compile("[" + "".join(re.escape(c) for c in alphabet) + "]+") if alphabet else None

    def starts(self, text: str) -> List[List[int]]:
        """For each word (by index), the start of every occurrence in `text`, ascending."""
        found: List[List[int]] = [[] for _ in self.words]
        if self._runs is None:
            return found
        delta, outputs, lengths = self._delta, self._outputs, self.lengths
        for run in self._runs.finditer(text):
            state = 0
            end = run.start()
            for char in run.group():
                end += 1
                state = delta[state].get(char, 0)
                for index in outputs[state]:
                    found[index].append(end - lengths[index])
        return found

    def nonoverlapping_starts(self, text: str) -> List[List[int]]:
        """For each word, its occurrences as repeated `str.find` from the end of the last one
        returns them: left to right, none overlapping another of the same word ("啊啊" in
        "啊啊啊" once, at 0)."""
        result = []
        for index, starts in enumerate(self.starts(text)):
            length, kept, free_from = self.lengths[index], [], 0
            for start in starts:
                if start >= free_from:
                    kept.append(start)
                    free_from = start + length
            result.append(kept)
        return result
