"""A VADER-style lexicon-and-rules sentiment engine for customer-service chat (es, pt, en).

Per message: tokens are lower-cased, accents folded for lookup, letters repeated three or more
times squeezed ("buenooo" -> "bueno") and chat spellings expanded ("q", "xq", "pesimo"). Each
lexicon word carries a valence in [-4, 4]; rules then adjust it:

- negation (no, nunca, nadie, ni, tampoco, sin, jamás; not, never, no; não, nunca, nem) flips
  and damps the valence of the next words of its clause (until punctuation or a contrast word);
- intensifiers (muy, súper, demasiado, tan, re, bastante; very, really, so; muito, super) scale
  up, diminishers (poco, algo, medio; a bit, slightly; pouco, meio) scale down;
- contrast (pero, sin embargo, aunque; but, however; mas, porém): what follows weighs 1.5x,
  what precedes 0.5x;
- emphasis: "!" adds to the strength (up to three), a word in CAPITALS among lower-case words is
  stronger; emojis and emoticons carry their own valence.

The sum becomes a compound score in [-1, 1] as in VADER: s / sqrt(s^2 + 15). Labels use the
documented thresholds in `backends.label_of`. The language of a message is guessed from
function words and decides which negators and contrast words apply; the lexicons are looked up
in that language first, then the others (chat mixes them).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from importlib import resources

from chat_assets.sentiment.complaints import ComplaintPatterns

ALPHA = 15.0
MEMO_SIZE = 200_000  # texts whose (score, complaints) are kept: chat repeats "ok", "gracias"...
NEGATION_DAMP = -0.74  # VADER's N_SCALAR
BOOST = 0.293  # VADER's B_INCR
CAPS_BOOST = 0.733
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5
# A complaint pattern weighs as a strongly negative word; praise beside it flips, damped.
COMPLAINT_VALENCE = -2.0
SARCASM = -0.5

NEGATORS = {
    "es": {"no", "nunca", "nadie", "ni", "tampoco", "sin", "jamas", "nada", "ningun", "ninguno", "ninguna"},
    "pt": {"nao", "nunca", "nem", "sem", "jamais", "ninguem", "nada", "nenhum", "nenhuma"},
    "en": {
        "not",
        "never",
        "no",
        "nobody",
        "nothing",
        "without",
        "nor",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "cant",
        "cannot",
        "wont",
        "havent",
        "hasnt",
        "aint",
        "neither",
    },
}
CONTRAST = {
    "es": {"pero", "aunque", "sinembargo"},
    "pt": {"mas", "porem", "contudo", "entretanto"},
    "en": {"but", "however", "although", "though"},
}
INTENSIFIERS = {
    "muy": 1.0,
    "super": 1.0,
    "súper": 1.0,
    "demasiado": 1.0,
    "tan": 0.8,
    "re": 0.8,
    "bastante": 0.6,
    "sumamente": 1.0,
    "totalmente": 0.8,
    "realmente": 0.8,
    "increiblemente": 1.0,
    "extremadamente": 1.0,
    "mas": 0.5,
    "tremendo": 0.8,
    "very": 1.0,
    "really": 0.8,
    "so": 0.8,
    "extremely": 1.0,
    "totally": 0.8,
    "super_en": 1.0,
    "absolutely": 1.0,
    "muito": 1.0,
    "muita": 1.0,
    "bem": 0.6,
    "demais": 0.8,
    "bastante_pt": 0.6,
    "tao": 0.8,
    "mega": 1.0,
}
DIMINISHERS = {
    "poco": -1.0,
    "algo": -0.6,
    "medio": -0.6,
    "apenas": -0.6,
    "un_poco": -0.8,
    "ligeramente": -0.8,
    "slightly": -0.8,
    "bit": -0.6,
    "somewhat": -0.6,
    "kinda": -0.6,
    "barely": -1.0,
    "pouco": -1.0,
    "meio": -0.6,
    "pouquinho": -0.8,
}
STOPWORDS = {
    "es": {
        "el",
        "la",
        "los",
        "las",
        "que",
        "de",
        "y",
        "en",
        "un",
        "una",
        "por",
        "para",
        "con",
        "mi",
        "es",
        "me",
        "pero",
        "muy",
        "del",
        "al",
        "lo",
        "se",
        "su",
        "ya",
        "esta",
        "estoy",
        "gracias",
        "hola",
        "porque",
        "como",
        "cuando",
        "tengo",
        "pedido",
        "servicio",
        "nada",
        "todo",
        "buenas",
        "favor",
        "usted",
        "ustedes",
        "q",
        "xq",
        "no",
        "sin",
        "nunca",
        "llega",
        "llego",
        "atencion",
        "quiero",
        "necesito",
        "ni",
        "tampoco",
        "nadie",
    },
    # Only words that are not also common Spanish once accents are folded (no "no", "esta", "mas").
    "pt": {
        "o",
        "os",
        "um",
        "uma",
        "do",
        "da",
        "dos",
        "das",
        "em",
        "na",
        "com",
        "meu",
        "minha",
        "voce",
        "nao",
        "obrigado",
        "obrigada",
        "ola",
        "muito",
        "muita",
        "isso",
        "estou",
        "tudo",
        "foi",
        "ja",
        "pra",
        "atendimento",
        "ainda",
        "sem",
        "bom",
        "boa",
        "voces",
        "vc",
        "nem",
        "porem",
        "entrega",
        "chegou",
        "ate",
        "agora",
        "aqui",
    },
    "en": {
        "the",
        "a",
        "an",
        "and",
        "is",
        "are",
        "was",
        "were",
        "to",
        "of",
        "in",
        "on",
        "for",
        "with",
        "my",
        "i",
        "you",
        "it",
        "this",
        "that",
        "not",
        "but",
        "thanks",
        "thank",
        "hello",
        "hi",
        "please",
        "order",
        "your",
        "have",
        "has",
        "been",
        "be",
        "very",
        "so",
        "what",
        "where",
        "why",
        "do",
        "does",
        "did",
        "just",
        "still",
    },
}
STOP_INDEX: dict[str, tuple[str, ...]] = {}
for _lang, _words in STOPWORDS.items():
    for _word in _words:
        STOP_INDEX[_word] = (*STOP_INDEX.get(_word, ()), _lang)

CHAT_SPELLINGS = {
    "q": "que",
    "k": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "x": "por",
    "tb": "tambien",
    "tmb": "tambien",
    "tbn": "tambien",
    "grax": "gracias",
    "graciass": "gracias",
    "grs": "gracias",
    "msj": "mensaje",
    "xfa": "porfavor",
    "plis": "porfavor",
    "pls": "please",
    "thx": "thanks",
    "ty": "thanks",
    "u": "you",
    "vc": "voce",
    "vcs": "voces",
    "obg": "obrigado",
    "obgd": "obrigado",
    "n": "nao",
    "tbm": "tambem",
    "mto": "muito",
    "mt": "muito",
    "dnd": "donde",
    "aki": "aqui",
    "nd": "nada",
    "exelente": "excelente",
    "ecselente": "excelente",
    "pesimo": "pesimo",
    "horrivel": "horrivel",
}
# Words, numbers, emoticons and emojis, "!" and "?", and runs of clause punctuation (one scan).
TOKEN = re.compile(
    r"[:;=8][\-o\*']?[\)\]\(\[dDpP/\\|@3]+|<3|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2764]|[^\W\d_]+(?:'[a-z]+)?|\d+|[!?]|[.,;:\n]+",
    re.UNICODE,
)
SQUEEZE = re.compile(r"(.)\1{2,}")
CLAUSE_MARKS = frozenset(".,;:\n")
BREAK = "|"
BREAK_TOKEN = ("|", BREAK)
# A question asks for information ("¿qué tan rápido llega?", "¿la app funciona en iPhone?"): its
# milder words are not feelings. Why-questions are the exception: customers complain in them.
WHY = {"porque", "why", "pq", "xq"}
QUESTION_KEEPS_ABOVE = 2.5  # "¿qué hago con este pésimo servicio?" still says "pésimo"
# Interjections of praise that open sarcasm when the same turn says something bad.
SARCASM_OPENERS = {
    "felicidades",
    "felicitaciones",
    "bravo",
    "genial",
    "excelente",
    "wow",
    "perfecto",
    "super",
    "parabens",
    "otimo",
    "perfeito",
    "maravilha",
    "congrats",
    "congratulations",
    "great",
    "lovely",
    "perfect",
    "wonderful",
    "brilliant",
}
# "Nunca me habían atendido tan bien" / "never so good": praise, not negated praise.
NEVER = {"nunca", "jamas", "jamais", "never"}
COMPARATIVES = {"tan", "tao", "so", "such"}
# "No me esperaba tan buena atención": the surprise is the feeling, not a negated one.
SURPRISE = {"esperaba", "imaginaba", "esperava", "imaginava", "expected", "expect"}


def fold(word: str) -> str:
    """Lower case, no accents (ñ kept as n): how chat users often type."""
    text = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def load_lexicon(lang: str) -> dict[str, float]:
    entries: dict[str, float] = {}
    text = (
        resources.files("chat_assets.sentiment.lexicon").joinpath(f"{lang}.tsv").read_text(encoding="utf-8")
    )
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        term, _, value = line.partition("\t")
        entries[fold(term.strip()).replace(" ", "_")] = float(value)
    return entries


class LexiconScorer:
    """Deterministic, offline; `score` is memoized per text (chat repeats itself a lot)."""

    name = "lexicon"

    def __init__(self) -> None:
        self.lexicons = {lang: load_lexicon(lang) for lang in ("es", "pt", "en")}
        self.emoji = load_lexicon("emoji")
        # One merged dictionary per message language: that language's entries win, then the others.
        self.merged = {
            lang: {
                **{
                    k: v
                    for other in ("en", "pt", "es")
                    if other != lang
                    for k, v in self.lexicons[other].items()
                },
                **self.lexicons[lang],
            }
            for lang in self.lexicons
        }
        # Multi-word entries by their first word, then by their first two: a pair or triple is
        # only spelled out when the next word can continue one ("que" starts "qué pena", "me"
        # starts "me equivoqué"; building "que_<next>" for every "que" costs the hot loop).
        phrases = [k for lex in self.lexicons.values() for k in lex if "_" in k]
        phrases += [*(k for k in DIMINISHERS if "_" in k), "sin_embargo", "no_obstante"]
        self.phrase_next: dict[str, frozenset[str]] = {}
        self.triple_next: dict[str, frozenset[str]] = {}
        for phrase in phrases:
            parts = phrase.split("_")
            self.phrase_next[parts[0]] = self.phrase_next.get(parts[0], frozenset()) | {parts[1]}
            if len(parts) > 2:
                pair = f"{parts[0]}_{parts[1]}"
                self.triple_next[pair] = self.triple_next.get(pair, frozenset()) | {parts[2]}
        self.complaints = ComplaintPatterns()
        self._memo: dict[str, tuple[float, frozenset[str]]] = {}
        self._words: dict[str, str] = {}  # raw token -> what the engine reads (see _read_token)

    def _lookup(self, text: str) -> tuple[float, frozenset[str]]:
        hit = self._memo.get(text)
        if hit is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()  # a day's distinct texts fit many times over; this bounds a year
            hit = self._memo[text] = self._analyze(text)
        return hit

    def score(self, text: str | None) -> float | None:
        if text is None:
            return None
        return self._lookup(text)[0]

    def score_many(self, texts: Iterable[str | None]) -> list[float | None]:
        get, lookup = self._memo.get, self._lookup
        out: list[float | None] = []
        append = out.append
        for text in texts:
            if text is None:
                append(None)
            else:
                hit = get(text)
                append((hit or lookup(text))[0])
        return out

    def complaint_categories(self, text: str) -> frozenset[str]:
        """The complaint patterns a turn matches (see `complaints`), memoized with its score."""
        return self._lookup(text)[1]

    def reading(self, text: str) -> str:
        """The turn as complaint patterns see it: folded words, "0" for numbers, "|" between clauses."""
        return self._reading(self._tokens(text))

    @staticmethod
    def _reading(tokens: list[tuple[str, str]]) -> str:
        return " ".join([word for _, word in tokens])

    # -- the engine -------------------------------------------------------------------
    def language(self, words: Sequence[str]) -> str:
        """The language whose function words the message uses most (Spanish on a tie or none)."""
        es = pt = en = 0
        for word in words:
            langs = STOP_INDEX.get(word)
            if langs:
                es += "es" in langs
                pt += "pt" in langs
                en += "en" in langs
        if pt > es and pt >= en:
            return "pt"
        if en > es and en > pt:
            return "en"
        return "es"

    @staticmethod
    def _normalize_word(raw: str) -> str:
        word = SQUEEZE.sub(r"\1", fold(raw)).replace("'", "")
        return CHAT_SPELLINGS.get(word, word)

    @staticmethod
    def _read_token(raw: str) -> str:
        first = raw[0]
        if first.isalpha():
            return LexiconScorer._normalize_word(raw)
        if first.isdigit():
            return "0"  # "hace 15 días" and "hace 3 días" complain alike
        if first in CLAUSE_MARKS:
            return BREAK
        return raw

    def _tokens(self, text: str) -> list[tuple[str, str]]:
        """(raw token, folded word) pairs, with a break token between clauses (negation stops there)."""
        out: list[tuple[str, str]] = []
        append, known = out.append, self._words
        for match in TOKEN.finditer(text):
            raw = match.group()
            word = known.get(raw)
            if word is None:
                if len(known) >= MEMO_SIZE:
                    known.clear()
                word = known[raw] = self._read_token(raw)
            append((raw, word))
        append(BREAK_TOKEN)
        return out

    @staticmethod
    def _information_questions(tokens: list[tuple[str, str]]) -> range | None:
        """The token indexes of the first question that asks for information, up to its "?".

        A question opened by "por qué" / "why" is left alone (customers complain in them), and
        so is what follows the "?" ("¿ya quedó? gracias" still thanks).
        """
        start = 0
        for end, (_, word) in enumerate(tokens):
            if word == BREAK:
                start = end + 1
            elif word == "?":
                opener = [w for raw, w in tokens[start : start + 2] if raw[0].isalpha()]
                if not opener or opener[0] in WHY or tuple(opener) == ("por", "que"):
                    return None
                return range(start, end)
        return None

    def _analyze(self, text: str) -> tuple[float, frozenset[str]]:
        tokens = self._tokens(text)
        words = [w for raw, w in tokens if raw[0].isalpha()]
        if not words and not any(w in self.emoji for _, w in tokens):
            return 0.0, frozenset()
        complaints = self.complaints.find(self._reading(tokens))
        lang = self.language(words)
        lexicon = self.merged[lang]
        negators, contrast = NEGATORS[lang], CONTRAST[lang]
        any_lower = not text.isupper()
        scores: list[float] = []
        contrast_at, negate_left, scale = -1, 0, 0.0
        negator = ""
        asking: range | None = None
        asks = "?" in text  # which clauses ask is worked out only if a feeling word shows up
        i = 0
        while i < len(tokens):
            raw, word = tokens[i]
            following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
            if word == BREAK:
                negate_left, scale = 0, 0.0
                i += 1
                continue
            if word in ("!", "?"):
                i += 1
                continue
            if word in self.emoji:
                scores.append(self.emoji[word])
                i += 1
                continue
            pair = triple = ""
            nexts = self.phrase_next.get(word)
            if nexts is not None and following in nexts:
                pair = f"{word}_{following}"
                thirds = self.triple_next.get(pair)
                if thirds is not None and i + 2 < len(tokens) and tokens[i + 2][1] in thirds:
                    triple = f"{pair}_{tokens[i + 2][1]}"
            if word in contrast or pair in ("sin_embargo", "no_obstante"):
                contrast_at, negate_left, scale = len(scores), 0, 0.0
                i += 2 if pair in ("sin_embargo", "no_obstante") else 1
                continue
            value, width = None, 1
            for phrase, w in ((triple, 3), (pair, 2)):
                if phrase and (value := lexicon.get(phrase)) is not None:
                    width = w
                    break
            if value is None:
                if word in negators:
                    negate_left, negator = 3, word
                    i += 1
                    continue
                if negate_left and ((word in COMPARATIVES and negator in NEVER) or word in SURPRISE):
                    negate_left = 0
                if pair in DIMINISHERS:
                    scale += BOOST * DIMINISHERS[pair]
                    i += 2
                    continue
                if word in INTENSIFIERS:
                    scale += BOOST * INTENSIFIERS[word]
                    i += 1
                    continue
                if word in DIMINISHERS:
                    scale += BOOST * DIMINISHERS[word]
                    i += 1
                    continue
                value = lexicon.get(word)
            if value is None:
                if negate_left:
                    negate_left -= 1
                i += 1
                continue
            if asks and asking is None:
                asking = self._information_questions(tokens) or range(0)
            if asking and i in asking and abs(value) < QUESTION_KEEPS_ABOVE:
                negate_left = max(0, negate_left - width)
                scale = 0.0
                i += width
                continue
            value += scale if value > 0 else -scale
            if raw.isupper() and len(raw) > 1 and any_lower:
                value += CAPS_BOOST if value > 0 else -CAPS_BOOST
            if negate_left:
                value *= NEGATION_DAMP
                negate_left = max(0, negate_left - width)
            scores.append(value)
            scale = 0.0
            i += width
        if contrast_at >= 0:
            scores = [s * CONTRAST_BEFORE for s in scores[:contrast_at]] + [
                s * CONTRAST_AFTER for s in scores[contrast_at:]
            ]
        if not complaints and words and words[0] in SARCASM_OPENERS and any(s < 0 for s in scores):
            # Opening praise the rest of the turn takes back ("felicidades, lograron que odie su app").
            complaints = frozenset({"sarcasm"})
        if complaints:
            # Praise in a turn that complains is sarcasm or politeness ("excelente servicio, tres
            # días sin internet", "gracias, pero sigo esperando"): it turns against the service.
            scores = [s * SARCASM if s > 0 else s for s in scores]
            scores.append(COMPLAINT_VALENCE * min(len(complaints), 2))
        if not scores:
            return 0.0, complaints
        total = sum(scores)
        bangs = min(text.count("!"), 3) * 0.292
        total += bangs if total > 0 else -bangs if total < 0 else 0.0
        return max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA))), complaints
