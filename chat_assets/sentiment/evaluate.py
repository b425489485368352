"""`python -m chat_assets.sentiment.evaluate`: how well the scorer reads customers, told honestly.

Two sets, both written for this project (see eval/README.md):

- `eval/turns.tsv`: customer turns labelled with a class and a complaint flag before any tuning,
  split once into `tuning` and `held_out`. Rules and patterns are tuned on `tuning` only; the
  `held_out` figures are the ones the goals are set on. Reported per part, per language and per
  class, with negative recall and complaint precision and recall.
- `eval/turns_unseen.tsv`: more customer turns, the `unseen` part, written after the complaint
  patterns by a writer who had not run them, and never tuned on: the closest thing here to text
  nobody anticipated (the same people wrote the turns and the patterns, which flatters both parts
  above).
- `eval/messages.tsv`: the older general set (customer and agent messages), kept as a regression
  check of the lexicon rules: accuracy and macro-F1 per language.

`--errors held_out` (or `tuning`, `general`) lists what the scorer gets wrong; `--json` prints
the figures as JSON for scripts and tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources

from chat_assets.sentiment.backends import LABELS, get_scorer, label_of
from chat_assets.sentiment.complaints import complaints_of

PARTS = ("tuning", "held_out", "unseen")
LANGUAGES = ("es", "pt", "en")


@dataclass(frozen=True)
class Turn:
    split: str
    lang: str
    label: str
    complaint: bool
    pattern: str
    text: str


@dataclass(frozen=True)
class Figures:
    n: int
    accuracy: float
    recall: dict[str, float | None]
    complaint_precision: float | None
    complaint_recall: float | None
    per_class: dict[str, int]


# What a scorer says about a list of texts: a label and a complaint flag per text.
Predict = Callable[[Sequence[str]], tuple[list[str], list[bool]]]


def _read(name: str) -> list[list[str]]:
    text = resources.files("chat_assets.sentiment.eval").joinpath(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    width = len(lines[0].split("\t"))
    return [line.split("\t", width - 1) for line in lines[1:]]


def load_turns() -> list[Turn]:
    return [
        Turn(split, lang, label, complaint == "yes", pattern, text)
        for name in ("turns.tsv", "turns_unseen.tsv")
        for split, lang, label, complaint, pattern, text in _read(name)
    ]


def load() -> list[tuple[str, str, str]]:
    """The general set: (language, label, message)."""
    return [(lang, label, message) for lang, label, message in _read("messages.tsv")]


def predict_with_configured_scorer(texts: Sequence[str]) -> tuple[list[str], list[bool]]:
    scores = get_scorer().score_many(texts)
    complaints = complaints_of(texts, scores)
    return [str(label_of(s)) for s in scores], [bool(c) for c in complaints]


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def figures(gold: Sequence[Turn], labels: Sequence[str], complaints: Sequence[bool]) -> Figures:
    n = len(gold)
    recall = {
        label: _ratio(
            sum(1 for t, got in zip(gold, labels, strict=True) if t.label == label and got == label),
            sum(1 for t in gold if t.label == label),
        )
        for label in LABELS
    }
    flagged = sum(complaints)
    caught = sum(1 for t, c in zip(gold, complaints, strict=True) if t.complaint and c)
    return Figures(
        n=n,
        accuracy=sum(1 for t, got in zip(gold, labels, strict=True) if t.label == got) / n if n else 0.0,
        recall=recall,
        complaint_precision=_ratio(caught, flagged),
        complaint_recall=_ratio(caught, sum(1 for t in gold if t.complaint)),
        per_class={label: sum(1 for t in gold if t.label == label) for label in LABELS},
    )


def evaluate_turns(predict: Predict = predict_with_configured_scorer) -> dict[str, dict[str, Figures]]:
    """Figures per part (`tuning`, `held_out`) and language (plus `all`)."""
    turns = load_turns()
    labels, complaints = predict([t.text for t in turns])
    out: dict[str, dict[str, Figures]] = {}
    for part in PARTS:
        out[part] = {}
        for lang in (*LANGUAGES, "all"):
            idx = [i for i, t in enumerate(turns) if t.split == part and lang in (t.lang, "all")]
            out[part][lang] = figures(
                [turns[i] for i in idx], [labels[i] for i in idx], [complaints[i] for i in idx]
            )
    return out


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


def evaluate_general() -> dict[str, tuple[int, float, float]]:
    """The general set: (messages, accuracy, macro-F1) per language and `all`."""
    rows = load()
    predicted = [label_of(s) for s in get_scorer().score_many([m for _, _, m in rows])]
    by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (lang, gold, _), got in zip(rows, predicted, strict=True):
        by_lang[lang].append((gold, str(got)))
        by_lang["all"].append((gold, str(got)))
    return {
        lang: (len(pairs), sum(1 for g, p in pairs if g == p) / len(pairs), macro_f1(pairs))
        for lang, pairs in by_lang.items()
    }


def evaluate(show_errors: str | None = None) -> dict[str, tuple[int, float, float]]:
    """Print every figure; return the general set's (kept for callers of the first version)."""
    print(f"scorer: {get_scorer().name}")
    turns = evaluate_turns()
    for part in PARTS:
        source = "eval/turns_unseen.tsv" if part == "unseen" else "eval/turns.tsv"
        print(f"\ncustomer turns, {part} part ({source})")
        print(
            f"{'language':<9} {'turns':>5} {'neg/neu/pos':>12} {'accuracy':>9} {'neg rec':>8} "
            f"{'neu rec':>8} {'pos rec':>8} {'compl P':>8} {'compl R':>8}"
        )
        for lang, f in turns[part].items():
            counts = "/".join(str(f.per_class[c]) for c in LABELS)
            print(
                f"{lang:<9} {f.n:>5} {counts:>12} {f.accuracy:>9.3f} {_fmt(f.recall['negative']):>8} "
                f"{_fmt(f.recall['neutral']):>8} {_fmt(f.recall['positive']):>8} "
                f"{_fmt(f.complaint_precision):>8} {_fmt(f.complaint_recall):>8}"
            )
    general = evaluate_general()
    print("\ngeneral set, customer and agent messages (eval/messages.tsv)")
    print(f"{'language':<9} {'messages':>8} {'accuracy':>9} {'macro-F1':>9}")
    for lang in (*LANGUAGES, "all"):
        n, accuracy, f1 = general[lang]
        print(f"{lang:<9} {n:>8} {accuracy:>9.3f} {f1:>9.3f}")
    if show_errors:
        _print_errors(show_errors)
    return general


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print_errors(part: str) -> None:
    print(f"\nerrors in {part}:")
    if part == "general":
        rows = load()
        got = [label_of(s) for s in get_scorer().score_many([m for _, _, m in rows])]
        for (lang, gold, message), label in zip(rows, got, strict=True):
            if gold != label:
                print(f"  {lang} gold={gold:<8} got={label!s:<8} {message}")
        return
    turns = [t for t in load_turns() if t.split == part]
    labels, complaints = predict_with_configured_scorer([t.text for t in turns])
    for t, label, complaint in zip(turns, labels, complaints, strict=True):
        if t.label != label or t.complaint != complaint:
            gold_c, got_c = "C" if t.complaint else "-", "C" if complaint else "-"
            print(f"  {t.lang} gold={t.label:<8}{gold_c} got={label:<8}{got_c} [{t.pattern}] {t.text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--errors", choices=(*PARTS, "general"), help="list the turns the scorer misreads in that part"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.json:
        turns = evaluate_turns()
        print(
            json.dumps(
                {
                    "turns": {p: {lang: asdict(f) for lang, f in v.items()} for p, v in turns.items()},
                    "general": evaluate_general(),
                },
                indent=2,
            )
        )
        return 0
    evaluate(args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
