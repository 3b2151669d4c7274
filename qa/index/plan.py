"""What a new version writes: one diff of articles, one delta plan, for sync and update alike.

A folder sync (qa.index.indexer) looks at every article; a named-file update
(qa.index.update) only at the files it was given and the delta's own. Both hand this
module the articles they looked at, with None for one whose file is gone, and get back
the same answer: which articles are added, changed or removed, and whether the change
fits in a delta beside the previous base or needs a whole new base.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from qa.articles import Article
from qa.index.format import ArticleState
from qa.index.version import IndexVersion
from qa.passages import passages_of

log = logging.getLogger(__name__)

DELTA_SHARE = 0.1
DELTA_MIN_PASSAGES = 2_000
"""A rebuild writes only a delta beside the previous base while the delta stays under
max(DELTA_MIN_PASSAGES, DELTA_SHARE × base passages): a delta is rewritten whole on every
rebuild, so its size bounds what one added article costs; past that, everything is merged
into a new base (a full write, embedding only new text)."""
NEIGHBOUR_PROBES = 8
"""IVF lists probed for near-duplicates of new passages: a paragraph at cosine ≥ 0.92 falls
in or next to its copy's list (500 noisy copies of the benchmark's 100k-passage index were
all found with 8 probes, as with 48), and the probes are most of the search's cost."""


@dataclass(frozen=True)
class Changes:
    added: list[str]
    changed: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def fresh(self) -> frozenset[str]:
        """Articles whose text is new to the index: they get a new indexed-at time."""
        return frozenset(self.added) | frozenset(self.changed)


def diff(known: Mapping[str, str], current: Mapping[str, Article | None]) -> Changes:
    """Added, changed and removed, from the indexed content hashes of the articles looked at.

    `current` holds what the corpus has now for each article looked at, None where its
    file is gone; a `known` article not in `current` is gone too."""
    live = {a: article for a, article in current.items() if article is not None}
    return Changes(
        added=sorted(a for a in live if a not in known),
        changed=sorted(a for a, article in live.items() if a in known and known[a] != article.content_hash),
        removed=sorted(a for a in known if live.get(a) is None),
    )


def stamps(ids: Iterable[str], fresh: frozenset[str], known: Mapping[str, ArticleState]) -> dict[str, str]:
    """When each article was indexed: now for fresh ones, as before for the others."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {a: now if a in fresh else known[a].indexed_at for a in ids}


@dataclass(frozen=True)
class DeltaBase:
    """A version whose base segment a new version shares, and what the new delta hides of it."""

    version: IndexVersion
    hidden: list[str]
    hidden_passages: int
    articles: int
    """Articles in the new version, base and delta together."""

    @property
    def live_base_passages(self) -> int:
        return self.version.manifest.base_passages - self.hidden_passages

    def neighbours(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """For each vector, its nearest passages among the base articles the new version keeps."""
        hits = self.version.segments.dense(vectors, k, nprobe=NEIGHBOUR_PROBES)
        owners = self.version.base_owners(sorted({row for found in hits for row, _ in found}))
        hidden = set(self.hidden)
        return [[(owners[r], s) for r, s in found if r in owners and owners[r] not in hidden] for found in hits]


@dataclass(frozen=True)
class Plan:
    """The articles a new version writes, when each was indexed, and the base it keeps
    (None: a whole new base holding every article)."""

    written: list[Article]
    indexed_at: dict[str, str]
    fresh: frozenset[str]
    """Written articles whose text is new: they are checked for near-duplicates."""
    base: DeltaBase | None = None


def plan_delta(
    previous: IndexVersion, current: Mapping[str, Article | None], *, whole: bool, articles: int, max_words: int
) -> tuple[list[Article], DeltaBase] | None:
    """The articles to write beside the previous base, and what they hide of it; None when
    that delta would pass its limit.

    An article of `current` goes in the delta when the base does not hold its text; a
    base article is hidden when its file is gone or the delta rewrites it. `whole`:
    `current` is every article of the corpus (a sync), so a base article it lacks is gone;
    otherwise only those looked at are decided again, and what the previous delta hid
    of the others stays hidden. `articles` is how many the new version holds."""
    base = previous.base_articles(None if whole else list(current))
    written = [a for a in current.values() if a is not None and base.get(a.article_id) != a.content_hash]
    rewritten = {a.article_id for a in written}
    hidden = {a for a in base if current.get(a) is None or a in rewritten}
    if not whole:
        hidden |= set(previous.manifest.hidden) - current.keys()
    hidden_passages = previous.base_passage_count(sorted(hidden))
    size = hidden_passages + sum(len(passages_of(a, max_words)) for a in written)
    if size > delta_limit(previous.manifest.base_passages):
        log.info("the delta would hold %d passages; merging everything into a new base", size)
        return None
    return written, DeltaBase(previous, sorted(hidden), hidden_passages, articles)


def delta_limit(base_passages: int) -> int:
    """Passages a delta may hold (written and hidden together) before the next rebuild merges it."""
    return max(DELTA_MIN_PASSAGES, int(DELTA_SHARE * base_passages))
