"""Text as printed → a clean list of tokens.

Tolerates what PDF extraction and typing leave behind: any case, ``ё``,
every kind of dash, non-breaking and soft hyphens, footnote marks, words
glued to numbers («февраль2023», «2022г.»), words broken by stray spaces
(«сен тябрь», «г ода»), Latin look-alike letters inside Russian words and
ordinal suffixes («1-й», «3-я»).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from roadmap.deadlines.lexicon import Lex, classify, exact_word

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_FOOTNOTES = "*¹²³⁴⁵⁶⁷⁸⁹⁰†‡"
_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys(_DASHES, "-"),
        **dict.fromkeys(_FOOTNOTES, " "),
        "ё": "е",
        "\xa0": " ",
        "\u202f": " ",
        "\u00ad": None,
        "\u200b": None,
        "і": "i",  # Ukrainian/Belarusian і typed for a Roman numeral
        "«": " ",
        "»": " ",
        '"': " ",
        "„": " ",
        "“": " ",
        "”": " ",
        "[": "(",
        "]": ")",
        "\\": "/",
    }
)
_TOKEN_RE = re.compile(r"(\d{1,2}:\d{2})|(\d+)|([a-zа-я]+)|([-.,;()/:+])")
_LATIN_LOOKALIKE = str.maketrans("aeopcxykmthb", "аеорсхукмтнв")
_HAS_CYR = re.compile(r"[а-я]")
_HAS_LAT = re.compile(r"[a-z]")
_ORD_SUFFIXES = frozenset(
    {"й", "я", "е", "го", "м", "ом", "ое", "ая", "ий", "ый", "ой", "ых", "ю", "ую"}
)


@dataclass(slots=True)
class Tok:
    """One token: ``kind`` is «num», «word», «time» or the punctuation mark
    itself; ``space`` tells whether whitespace preceded it."""

    kind: str
    text: str
    space: bool
    num: int = 0
    lex: Lex | None = None
    ordinal: bool = False
    pos: int = 0  # offset in the normalised text (see :func:`joined`)


def fold(text: str) -> str:
    """Lower-case, fold ``ё``, dashes, quotes and invisible characters."""
    return text.lower().translate(_TRANSLATE)


def _word(text: str) -> str:
    if _HAS_LAT.search(text) and _HAS_CYR.search(text):
        return text.translate(_LATIN_LOOKALIKE)
    return text


def tokenize(text: str) -> list[Tok]:
    """Split folded text into tokens and repair what extraction broke."""
    folded = fold(text)
    raw: list[Tok] = []
    last_end = 0
    for match in _TOKEN_RE.finditer(folded):
        space = match.start() > last_end or not raw
        last_end = match.end()
        time, num, word, punct = match.groups()
        if time:
            raw.append(Tok("time", time, space))
        elif num:
            raw.append(Tok("num", num, space, num=int(num[:9])))
        elif word:
            word = _word(word)
            raw.append(Tok("word", word, space, lex=classify(word)))
        else:
            raw.append(Tok(punct, punct, space))
    return _repair(raw)


def _repair(raw: list[Tok]) -> list[Tok]:
    out: list[Tok] = []
    i, n = 0, len(raw)
    while i < n:
        tok = raw[i]
        if tok.kind == "word":
            run_end = i + 1
            while run_end < n and raw[run_end].kind == "word":
                run_end += 1
            if run_end - i > 1 and not all(exact_word(t.text) for t in raw[i:run_end]):
                out.extend(_rejoin(raw[i:run_end]))
            else:
                out.extend(raw[i:run_end])
            i = run_end
            continue
        if tok.kind == "num":
            year = _spaced_year(raw, i)
            if year is not None:
                out.append(year)
                i += 4
                continue
            # «1-й», «3-я», «2-е», «1й»: an ordinal number.
            if (
                i + 2 < n
                and raw[i + 1].kind == "-"
                and not raw[i + 1].space
                and raw[i + 2].kind == "word"
                and not raw[i + 2].space
                and raw[i + 2].text in _ORD_SUFFIXES
            ):
                out.append(Tok("num", tok.text, tok.space, num=tok.num, ordinal=True))
                i += 3
                continue
            if (
                i + 1 < n
                and raw[i + 1].kind == "word"
                and not raw[i + 1].space
                and raw[i + 1].text in _ORD_SUFFIXES
            ):
                out.append(Tok("num", tok.text, tok.space, num=tok.num, ordinal=True))
                i += 2
                continue
        out.append(tok)
        i += 1
    return out


def _spaced_year(raw: list[Tok], i: int) -> Tok | None:
    """«2 0 2 5» (letter-spaced, rule 28) → 2025: exactly four single digits
    that make a year; shorter runs («1 5») stay apart, they may be a list."""
    digits = raw[i : i + 4]
    if len(digits) < 4 or any(t.kind != "num" or len(t.text) != 1 for t in digits):
        return None
    if any(not t.space for t in digits[1:]):
        return None
    after = raw[i + 4] if i + 4 < len(raw) else None
    if after is not None and after.kind == "num" and len(after.text) == 1 and after.space:
        return None
    text = "".join(t.text for t in digits)
    if not 1900 <= int(text) <= 2100:
        return None
    return Tok("num", text, digits[0].space, num=int(text))


#: the longest run of letter-spaced pieces joined into one word
_MAX_PIECES = 24


def _rejoin(run: list[Tok]) -> list[Tok]:
    """Words broken by stray spaces («е жего д но», «п о м е р е»), rule 28.

    ``run`` is a sequence of word tokens, at least one of them unknown. The
    segmentation chosen leaves the fewest letters in unknown words, then makes
    the fewest words, then joins the fewest pieces; a joined word never
    swallows the next (see :func:`~roadmap.deadlines.lexicon.exact_word`).
    """
    n = len(run)
    # best[k]: (unknown letters, words, pieces joined, -previous cut) for run[:k]
    best: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)] + [(1 << 30, 0, 0, 0)] * n
    for a in range(n):
        lost, words, joins, _prev = best[a]
        if lost >= 1 << 30:
            continue
        single = run[a]
        cost = (lost + (0 if exact_word(single.text) else len(single.text)), words + 1, joins, -a)
        if cost < best[a + 1]:
            best[a + 1] = cost
        text = single.text
        strange = not exact_word(text)  # only a piece that is no word asks for a join
        for b in range(a + 2, min(n, a + _MAX_PIECES) + 1):
            text += run[b - 1].text
            strange = strange or not exact_word(run[b - 1].text)
            if strange and exact_word(text):
                cost = (lost, words + 1, joins + b - a, -a)
                if cost < best[b]:
                    best[b] = cost
    out: list[Tok] = []
    k = n
    while k > 0:
        a = -best[k][3]
        if k - a == 1:
            out.append(run[a])
        else:
            text = "".join(t.text for t in run[a:k])
            out.append(Tok("word", text, run[a].space, lex=classify(text)))
        k = a
    out.reverse()
    return out


def joined(tokens: list[Tok]) -> str:
    """The tokens as one normalised string (single spaces); sets ``pos``."""
    pieces: list[str] = []
    pos = 0
    for tok in tokens:
        if pieces:
            pieces.append(" ")
            pos += 1
        tok.pos = pos
        pieces.append(tok.text)
        pos += len(tok.text)
    return "".join(pieces)
