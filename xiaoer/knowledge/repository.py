"""The knowledge files as the action server reads them: cached, reloaded when a file changes.

An edited answer is served on the next question without retraining or restarting. A file
that an edit broke keeps its last good version in service (and the problem is logged), so a
typo never takes answers away from buyers.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Dict, Tuple

from xiaoer.knowledge.loader import knowledge_files, load_file
from xiaoer.knowledge.model import Category, Knowledge

logger = logging.getLogger(__name__)

Stamp = Tuple[int, int]  # (mtime_ns, size)


class KnowledgeRepository:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._files: Dict[Path, Tuple[Stamp, Category | None]] = {}
        self._knowledge = Knowledge()
        self._stamps: Dict[Path, Stamp] | None = None
        self.loads = 0  # files (re)read, for tests and logs

    def current(self) -> Knowledge:
        """The knowledge as the files are now (stat only when nothing changed)."""
        stamps = self._stat()
        with self._lock:
            if stamps != self._stamps:
                self._reload(stamps)
            return self._knowledge

    def _stat(self) -> Dict[Path, Stamp]:
        stamps = {}
        for path in knowledge_files(self.directory):
            try:
                info = path.stat()
            except OSError:
                continue
            stamps[path] = (info.st_mtime_ns, info.st_size)
        return stamps

    def _reload(self, stamps: Dict[Path, Stamp]) -> None:
        files: Dict[Path, Tuple[Stamp, Category | None]] = {}
        for path, stamp in stamps.items():
            known = self._files.get(path)
            if known is not None and known[0] == stamp:
                files[path] = known
                continue
            category, problems = load_file(path, path.name)
            self.loads += 1
            if category is None:
                previous = known[1] if known else None
                logger.error(
                    "knowledge file %s has problems; %s:\n  %s",
                    path,
                    "keeping its last good version" if previous else "it is not served",
                    "\n  ".join(str(p) for p in problems),
                )
                category = previous
            else:
                logger.info("knowledge: loaded %s (%d entries)", path.name, len(category.entries))
            files[path] = (stamp, category)
        self._files = files
        self._stamps = stamps
        self._knowledge = Knowledge.of([c for _, c in files.values() if c is not None])
