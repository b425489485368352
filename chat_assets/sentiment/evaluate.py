"""`python -m chat_assets.sentiment.evaluate`: 3-class accuracy and macro-F1 per language.

Reads eval/messages.tsv (written for this project; see eval/README.md) and scores it with the
configured backend (the lexicon engine unless CHAT_ASSETS_SENTIMENT_MODEL says otherwise).
`--errors` lists the misread messages.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from importlib import resources

from chat_assets.sentiment.backends import LABELS, get_scorer, label_of


def load() -> list[tuple[str, str, str]]:
    text = resources.files("chat_assets.sentiment.eval").joinpath("messages.tsv").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines()[1:]:
        if line.strip():
            lang, label, message = line.split("\t", 2)
            rows.append((lang, label, message))
    return rows


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(1 for gold, got in pairs if gold == label and got == label)
        fp = sum(1 for gold, got in pairs if gold != label and got == label)
        fn = sum(1 for gold, got in pairs if gold == label and got != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def evaluate(show_errors: bool = False) -> dict[str, tuple[int, float, float]]:
    rows = load()
    scorer = get_scorer()
    predicted = [label_of(s) for s in scorer.score_many([m for _, _, m in rows])]
    by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (lang, gold, message), got in zip(rows, predicted, strict=True):
        by_lang[lang].append((gold, str(got)))
        by_lang["all"].append((gold, str(got)))
        if show_errors and gold != got:
            print(f"  {lang} gold={gold:<8} got={got:<8} {message}")
    results = {}
    print(f"scorer: {scorer.name}")
    print(f"{'language':<9} {'messages':>8} {'accuracy':>9} {'macro-F1':>9}")
    for lang in ("es", "en", "pt", "all"):
        pairs = by_lang[lang]
        accuracy = sum(1 for g, p in pairs if g == p) / len(pairs)
        f1 = macro_f1(pairs)
        results[lang] = (len(pairs), accuracy, f1)
        print(f"{lang:<9} {len(pairs):>8} {accuracy:>9.3f} {f1:>9.3f}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--errors", action="store_true", help="list the messages the scorer misreads")
    evaluate(parser.parse_args(argv).errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
