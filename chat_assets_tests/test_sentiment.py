"""The sentiment scorer: rules per language, the column it fills, and the pluggable model backend."""

from __future__ import annotations

import json
import logging
import sys
import types
from pathlib import Path

import pyarrow as pa
import pytest

from chat_assets import schemas
from chat_assets.sentiment.backends import TransformerScorer, _scorer_for, get_scorer, label_of
from chat_assets.sentiment.columns import with_sentiment
from chat_assets.sentiment.lexicon_engine import LexiconScorer


@pytest.fixture(scope="module")
def scorer() -> LexiconScorer:
    return LexiconScorer()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # Spanish: plain, negation in its clause, contrast, emojis, chat spellings, repeated letters.
        ("Excelente atención, muchas gracias", "positive"),
        ("Pésimo servicio", "negative"),
        ("no es malo", "positive"),
        ("No me gustó nada", "negative"),
        ("nunca resuelven nada, qué mala atención", "negative"),
        ("El producto es bueno pero la entrega fue pésima", "negative"),
        ("Se demoró un poco, pero quedó perfecto", "positive"),
        ("gracias 😊", "positive"),
        ("otra vez sin respuesta 😡", "negative"),
        ("q mala atencion xq nadie responde", "negative"),
        ("pesimooo!!!", "negative"),
        ("exelente", "positive"),
        ("Tengo un problema con mi pedido", "neutral"),
        ("¿A qué hora abren el sábado?", "neutral"),
        ("ok", "neutral"),
        # English
        ("Thanks a lot, very helpful!", "positive"),
        ("not good at all", "negative"),
        ("The staff was nice, but the problem is still not solved", "negative"),
        ("Where is my order?", "neutral"),
        # Portuguese
        ("Muito obrigado, ótimo atendimento!", "positive"),
        ("Não gostei do produto", "negative"),
        ("Demorou um pouco, mas ficou ótimo", "positive"),
        ("Qual o prazo de entrega?", "neutral"),
    ],
)
def test_rules_per_language(scorer: LexiconScorer, text: str, label: str) -> None:
    score = scorer.score(text)
    assert score is not None and -1.0 <= score <= 1.0
    assert label_of(score) == label, (text, score)


def test_negation_is_scoped_to_its_clause(scorer: LexiconScorer) -> None:
    assert scorer.score("no, excelente servicio") > 0.4  # the "no" answers something else
    assert scorer.score("no fue excelente") < 0


def test_intensifiers_diminishers_and_emphasis(scorer: LexiconScorer) -> None:
    plain, very, bit = (
        scorer.score("es bueno"),
        scorer.score("es muy bueno"),
        scorer.score("es un poco bueno"),
    )
    assert bit < plain < very
    assert scorer.score("malo!!!") < scorer.score("malo") < 0
    assert scorer.score("servicio MALO de verdad") < scorer.score("servicio malo de verdad")


def test_deterministic_and_null_for_none(scorer: LexiconScorer) -> None:
    assert scorer.score("Qué rabia") == LexiconScorer().score("Qué rabia")
    assert scorer.score(None) is None and scorer.score("   ") == 0.0


def test_column_scores_customer_and_agent_text_only() -> None:
    base = {
        "provider": "jelou",
        "account": "b",
        "conversation_id": "c",
        "sent_at": None,
        "sender_id": None,
        "sender_name": None,
        "customer_id": None,
        "customer_name": None,
        "agent_name": None,
        "channel": None,
        "is_fallback": False,
        "provider_sentiment": None,
        "sentiment": None,
        "raw_ref": "r",
    }
    rows = [
        {
            **base,
            "message_id": "1",
            "seq": 0,
            "sender_role": "customer",
            "content_type": "text",
            "text": "pésimo",
        },
        {
            **base,
            "message_id": "2",
            "seq": 1,
            "sender_role": "bot",
            "content_type": "text",
            "text": "excelente",
        },
        {
            **base,
            "message_id": "3",
            "seq": 2,
            "sender_role": "agent",
            "content_type": "text",
            "text": "con gusto",
        },
        {
            **base,
            "message_id": "4",
            "seq": 3,
            "sender_role": "customer",
            "content_type": "image",
            "text": "https://x/a.jpg",
        },
        {
            **base,
            "message_id": "5",
            "seq": 4,
            "sender_role": "customer",
            "content_type": "text",
            "text": None,
        },
    ]
    table = with_sentiment(pa.Table.from_pylist(rows, schema=schemas.MESSAGES))
    scores = table.column("sentiment").to_pylist()
    assert scores[0] < 0 and scores[1] is None and scores[2] > 0 and scores[3] is None and scores[4] is None
    assert table.schema == schemas.MESSAGES


def test_evaluation_set_meets_its_target() -> None:
    from chat_assets.sentiment.evaluate import evaluate

    results = evaluate()
    assert results["all"][0] >= 300
    assert results["all"][1] >= 0.80


# -- the pluggable model backend ---------------------------------------------------------------
def fake_transformers(calls: list[dict]) -> types.ModuleType:
    """A tiny stand-in for `transformers`: a 'model' that finds 'bien' positive and 'mal' negative."""
    module = types.ModuleType("transformers")

    def pipeline(task: str, **kwargs):  # type: ignore[no-untyped-def]
        calls.append({"task": task, **kwargs})

        def classify(texts, truncation=True):  # type: ignore[no-untyped-def]
            out = []
            for text in texts:
                pos = 0.9 if "bien" in text else 0.05
                neg = 0.9 if "mal" in text else 0.05
                out.append(
                    [
                        {"label": "POS", "score": pos},
                        {"label": "NEG", "score": neg},
                        {"label": "NEU", "score": max(0.0, 1 - pos - neg)},
                    ]
                )
            return out

        return classify

    module.pipeline = pipeline  # type: ignore[attr-defined]
    return module


def test_a_local_model_folder_is_used_and_never_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict] = []
    monkeypatch.setitem(sys.modules, "transformers", fake_transformers(calls))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    folder = tmp_path / "robertuito-sentiment"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "roberta"}))
    monkeypatch.setenv("CHAT_ASSETS_SENTIMENT_MODEL", str(folder))
    _scorer_for.cache_clear()
    scorer = get_scorer()
    assert isinstance(scorer, TransformerScorer) and scorer.name == "transformer:robertuito-sentiment"
    assert scorer.score_many(["muy bien", "muy mal", None, ""]) == [
        pytest.approx(0.85),
        pytest.approx(-0.85),
        None,
        0.0,
    ]
    assert calls[0]["model"] == str(folder) and calls[0]["local_files_only"] is True
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    _scorer_for.cache_clear()


def test_a_missing_model_folder_falls_back_to_the_lexicon(monkeypatch: pytest.MonkeyPatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHAT_ASSETS_SENTIMENT_MODEL", "/nowhere/model")
    _scorer_for.cache_clear()
    with caplog.at_level(logging.WARNING):
        assert isinstance(get_scorer(), LexiconScorer)
    assert "/nowhere/model is not a folder" in caplog.text
    _scorer_for.cache_clear()
