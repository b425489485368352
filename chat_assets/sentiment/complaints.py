"""Complaint and frustration signals in customer turns: the unhappy customer who says no bad word.

Customers complain without sentiment words: they count the days ("hace una semana sigo
esperando"), come back for the same thing ("de nuevo escribiendo por lo mismo"), report what is
still broken ("continúa el error"), nobody answering ("nadie da la cara"), threaten to leave or
escalate ("me doy de baja", "me van a oír"), or were charged wrongly ("cobro doble"), often
politely or with sarcasm ("excelente servicio, tres días sin internet"). A lexicon cannot see
those; these patterns do.

The patterns live beside the lexicons (`lexicon/complaints_<lang>.tsv`), one category and one
regular expression per line, with their source and reasons in comments. They are matched, all
languages at once (chat mixes them), against the turn as the lexicon engine reads it (see
`LexiconScorer.reading`). A `resolved` pattern ("ya me devolvieron el cobro doble") cancels the
waiting, repetition, unresolved and billing signals of a turn that has no contrast word.

`complaints_of` is the `messages.complaint` flag: a turn is a complaint when a pattern fires or
its sentiment score is at or below COMPLAINT_AT (a strongly negative verdict such as "pésimo").
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import re2

CATEGORIES = (
    "waiting",
    "repetition",
    "unresolved",
    "ignored",
    "cancel",
    "escalate",
    "billing",
    "sarcasm",
    "judgement",
)
RESOLVED = "resolved"
# Cues say nothing alone and much together: "desde el lunes" is a date, "no llega" a fact, and
# "desde el lunes no llega" a wait. How they combine is `_combine`.
CUES = ("elapsed", "no_outcome", "again", "failure")
CANCELLED_BY_RESOLVED = frozenset({"waiting", "repetition", "unresolved", "billing"})
# A turn that says the trouble is over but goes on ("ya llegó, pero vino roto") still complains.
CONTRAST_WORDS = frozenset({"pero", "aunque", "porem", "but", "however", "though"})
# A score this low is a complaint even when no pattern names it; everyday misfortune the customer
# tells ("perdí mi tarjeta, estoy preocupada") stays above it (the tuning part reaches -0.59).
COMPLAINT_AT = -0.65
LANGUAGES = ("es", "pt", "en")
# A line `not:<category>` names a look-alike that the category must not take.
VETO = "not:"


def load_patterns(lang: str) -> list[tuple[str, str]]:
    """(category, RE2 expression) pairs of one language's file, in file order."""
    text = (
        resources.files("chat_assets.sentiment.lexicon")
        .joinpath(f"complaints_{lang}.tsv")
        .read_text(encoding="utf-8")
    )
    known = (*CATEGORIES, RESOLVED, *CUES)
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        category, sep, pattern = line.partition("\t")
        if not sep or category.removeprefix(VETO) not in known:
            raise ValueError(
                f"complaints_{lang}.tsv line {number}: expected a known category, a tab, a pattern"
            )
        try:
            re2.compile(pattern)
        except re2.error as exc:  # a broken line names itself, not the whole set
            raise ValueError(f"complaints_{lang}.tsv line {number}: {exc}") from None
        out.append((category, pattern))
    return out


class ComplaintPatterns:
    """Every language's patterns in one RE2 set: one linear pass per turn says which matched.

    RE2 (Google's automaton-based engine) matches hundreds of expressions together in one scan;
    Python's `re` would try them one by one and cost the scorer most of its speed.
    """

    def __init__(self) -> None:
        self.label_of: list[str] = []
        self.patterns = re2.Set.SearchSet()
        for lang in LANGUAGES:
            for category, pattern in load_patterns(lang):
                self.patterns.Add(pattern)
                self.label_of.append(category)
        self.patterns.Compile()

    def find(self, reading: str) -> frozenset[str]:
        """The complaint categories of a turn (`reading` as `LexiconScorer.reading` gives it)."""
        matched = self.patterns.Match(reading)
        if not matched:
            return frozenset()
        labels = {self.label_of[i] for i in matched}
        found = {label for label in labels if not label.startswith(VETO) and label != RESOLVED}
        found -= {label.removeprefix(VETO) for label in labels if label.startswith(VETO)}
        found = _combine(found, asks="?" in reading)
        if (
            RESOLVED in labels
            and found & CANCELLED_BY_RESOLVED
            and not CONTRAST_WORDS.intersection(reading.split())
        ):
            found -= CANCELLED_BY_RESOLVED
        return frozenset(found)


def _combine(found: set[str], asks: bool) -> set[str]:
    """Turn cues into categories, then drop the cues."""
    if "elapsed" in found and "no_outcome" in found:
        found.add("waiting")  # "hace cuatro días y nada", "since Monday, still nothing"
    if "again" in found and ("failure" in found or "no_outcome" in found):
        found.add("repetition")  # "dejó de funcionar otra vez"
    if "failure" in found and (not asks or "elapsed" in found):
        # "no carga la página de pagos" complains; "no me sale la opción, ¿dónde está?" asks for
        # help, unless it has gone on for a while ("no me deja entrar desde ayer, ¿qué hago?").
        found.add("unresolved")
    return found - set(CUES)


def complaints_of(texts: Sequence[str | None], scores: Sequence[float | None]) -> list[bool | None]:
    """The complaint flag of each customer turn; None where there is no text or no score."""
    from chat_assets.sentiment.backends import lexicon_scorer

    reader = lexicon_scorer()
    return [
        None
        if text is None or score is None
        else bool(reader.complaint_categories(text)) or score <= COMPLAINT_AT
        for text, score in zip(texts, scores, strict=True)
    ]
