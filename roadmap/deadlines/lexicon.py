"""Words of the deadline language: months, ordinals, weekdays, keywords.

:func:`classify` maps one lower-case word (``ё`` already folded to ``е``) to
a :class:`Lex` entry, or None for a word the grammar does not know. Russian
inflects every noun, so entries are matched by stem patterns rather than by
listing phrases; misspelt month names within one edit are still recognised.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple


class Lex(NamedTuple):
    """What a word is: ``kind`` («month», «ord», «weekday», «kw», …) and a value."""

    kind: str
    value: int | str


# Month stems take the soft-stem endings (январь, января, январе, январю, январём).
_SOFT_STEMS = {
    "январ": 1,
    "феврал": 2,
    "апрел": 4,
    "июн": 6,
    "июл": 7,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_HARD_STEMS = {"март": 3, "август": 8}

MONTH_FORMS: dict[str, int] = {}
for _stem, _m in _SOFT_STEMS.items():
    for _end in ("ь", "я", "е", "ю", "ем", "и"):
        MONTH_FORMS[_stem + _end] = _m
for _stem, _m in _HARD_STEMS.items():
    for _end in ("", "а", "е", "у", "ом"):
        MONTH_FORMS[_stem + _end] = _m
for _form in ("май", "мая", "мае", "маю", "маем"):
    MONTH_FORMS[_form] = 5

# Abbreviations as printed in tables («сент.», «нояб.»).
MONTH_ABBR = {
    "янв": 1, "фев": 2, "февр": 2, "мар": 3, "апр": 4, "авг": 8,
    "сен": 9, "сент": 9, "окт": 10, "ноя": 11, "нояб": 11, "дек": 12,
    "июн": 6, "июл": 7,
}  # fmt: skip

_MONTH_STEM_RE = re.compile(
    r"^(январ|феврал|апрел|июн|июл|сентябр|октябр|ноябр|декабр|март|август)[а-я]{0,3}$"
)
_LONG_FORMS = [(f, m) for f, m in MONTH_FORMS.items() if len(f) >= 5]

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}

_ORD_PATTERNS = [
    (re.compile(r"^перв(ый|ая|ое|ую|ой|ого|ом|ые|ых)$"), 1),
    (re.compile(r"^втор(ой|ая|ое|ую|ого|ом|ые|ых)$"), 2),
    (re.compile(r"^трет(ий|ья|ье|ью|ьей|ьего|ьем|ьи|ьих)$"), 3),
    (re.compile(r"^четверт(ый|ая|ое|ую|ой|ого|ом|ые|ых)$"), 4),
    (re.compile(r"^пят(ый|ая|ое|ую|ой|ого|ом)$"), 5),
    (re.compile(r"^последн(ий|яя|ее|юю|ей|его|ем|ие|их)$"), -1),
]

_WEEKDAY_PATTERNS = [
    (re.compile(r"^понедельник(а|у|ам|и|ом)?$"), 0),
    (re.compile(r"^вторник(а|у|ам|и|ом)?$"), 1),
    (re.compile(r"^сред(а|у|ы|е|ам|ой)$"), 2),
    (re.compile(r"^четверг(а|у|ам|и|ом)?$"), 3),
    (re.compile(r"^пятниц(а|у|ы|е|ам|ей)$"), 4),
    (re.compile(r"^суббот(а|у|ы|е|ам|ой)$"), 5),
    (re.compile(r"^воскресень(е|я|ям|ю|ем)$"), 6),
]
WEEKDAY_ABBR = {"пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6}

# Keywords: exact forms first, then stem patterns (order matters: «ежегодн»
# before «год», «четверт» ordinals are matched above).
_KW_EXACT = {
    "в": "in", "во": "in", "на": "on", "с": "from", "со": "from", "по": "to",
    "до": "until", "к": "by", "ко": "by", "не": "not", "и": "and", "а": "and",
    "позднее": "later", "позже": "later", "после": "after", "за": "for",
    "через": "through", "г": "yearword", "гг": "yearword", "год": "yearword",
    "года": "yearword", "году": "yearword", "годы": "yearword", "годов": "yearword",
    "годах": "yearword", "годом": "yearword", "уч": "school", "срок": "filler",
    "сроки": "filler", "срока": "filler", "также": "filler", "далее": "further",
    "раз": "times", "раза": "times", "один": "one", "одного": "one", "два": "two",
    "три": "three", "четыре": "four", "число": "dom", "числа": "dom",
    "числу": "dom", "чисел": "dom", "течение": "within", "течении": "within",
    "протяжении": "within", "продолжении": "within", "весь": "whole",
    "всего": "whole", "всей": "whole", "всем": "whole", "целый": "whole",
    "лето": "summer", "летом": "summer", "весна": "spring", "весной": "spring",
    "осень": "autumn", "осенью": "autumn", "зима": "winter", "зимой": "winter",
    "половина": "halfof", "половине": "halfof", "половины": "halfof",
    "половину": "halfof", "момента": "moment", "дня": "dayunit",
    "день": "dayunit", "дней": "dayunit", "дни": "dayunit", "сутки": "dayunit",
    "суток": "dayunit", "ч": "hour", "час": "hour", "часов": "hour", "часа": "hour",
    "мин": "minute",
    # abbreviations as printed in tables (rule 26)
    "кв": "quarter", "полуг": "half", "четв": "term", "трим": "trimester",
    "нед": "weekunit", "мес": "monthunit", "ходе": "course", "рамках": "course",
}  # fmt: skip

_KW_PATTERNS = [
    (re.compile(r"^ежегодн"), "yearly"),
    (re.compile(r"^(ежекварт|покварт)"), "quarterly"),
    (re.compile(r"^(ежемесячн|помесячн)"), "monthly"),
    (re.compile(r"^ежедневн"), "daily"),
    (re.compile(r"^еженедельн"), "weekly"),
    (re.compile(r"^(ежечетвертн|почетвертн)"), "termly"),
    (re.compile(r"^квартал(а|е|у|ы|ов|ам|ах|ом)?$"), "quarter"),
    (re.compile(r"^полугоди(е|я|ю|и|ем|й|ям|ях)$"), "half"),
    (re.compile(r"^четверт(ь|и|ям|ей|ью|ях)$"), "term"),
    (re.compile(r"^триместр(а|е|у|ы|ов|ам|ах|ом)?$"), "trimester"),
    (re.compile(r"^месяц(а|е|у|ы|ев|ам|ах|ем)?$"), "monthunit"),
    (re.compile(r"^недел(я|ю|и|е|ь|ям|ях|ей)$"), "weekunit"),
    (re.compile(r"^декад(а|ы|е|у|ой|ам|ах)?$"), "decade"),
    (re.compile(r"^следующ(ий|его|ему|им|ем|ая|ей|ую|ее|ие|их)$"), "next"),
    (re.compile(r"^отчетн(ый|ого|ому|ым|ом|ая|ой|ую|ое|ые|ых|ыми)$"), "reporting"),
    (re.compile(r"^учебн"), "school"),
    (re.compile(r"^календарн"), "calendar"),
    (re.compile(r"^период(а|е|у|ы|ов|ом)?$"), "period"),
    (re.compile(r"^(постоянн|регулярн|систематич|непрерывн)"), "standing"),
    (re.compile(r"^(начал|старт)(о|а|е|у|ом)?$"), "begin"),
    (re.compile(r"^середин(а|е|ы|у|ой)$"), "middle"),
    (re.compile(r"^(конец|конц(а|е|у|ом)|окончани(е|я|ю|и))$"), "end"),
    (re.compile(r"^летн"), "summer"),
    (re.compile(r"^весенн"), "spring"),
    (re.compile(r"^осенн"), "autumn"),
    (re.compile(r"^зимн"), "winter"),
    (re.compile(r"^кажд"), "each"),
    (re.compile(r"^рабоч"), "working"),
]


def _edit1(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one insertion, deletion,
    substitution or swap of neighbours."""
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) <= 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


@lru_cache(maxsize=8192)
def month_of(word: str) -> int | None:
    """The month (1–12) a word names, in any case form or misspelt by one letter."""
    if word in MONTH_FORMS:
        return MONTH_FORMS[word]
    if _MONTH_STEM_RE.match(word):
        match = _MONTH_STEM_RE.match(word)
        assert match is not None
        stem = match.group(1)
        return _SOFT_STEMS.get(stem) or _HARD_STEMS.get(stem)
    if len(word) >= 5:
        found = {m for form, m in _LONG_FORMS if _edit1(word, form)}
        if len(found) == 1:
            return found.pop()
    return None


@lru_cache(maxsize=8192)
def classify(word: str) -> Lex | None:
    """The lexicon entry of a lower-case word, or None."""
    if word in _KW_EXACT:
        return Lex("kw", _KW_EXACT[word])
    if word in ROMAN:
        return Lex("roman", ROMAN[word])
    if word in MONTH_ABBR:
        return Lex("month", MONTH_ABBR[word])
    if word in WEEKDAY_ABBR:
        return Lex("wdabbr", WEEKDAY_ABBR[word])
    for pattern, value in _ORD_PATTERNS:
        if pattern.match(word):
            return Lex("ord", value)
    for pattern, value in _WEEKDAY_PATTERNS:
        if pattern.match(word):
            return Lex("weekday", value)
    for pattern, name in _KW_PATTERNS:
        if pattern.match(word):
            return Lex("kw", name)
    month = month_of(word)
    if month is not None:
        return Lex("month", month)
    return None


# Words the grammar reads through phrases (on-demand markers, events,
# remarks) rather than through :func:`classify`: a letter-spaced word is
# joined back when it becomes one of these or an exact lexicon form (rule 28).
_PHRASE_STEMS = (
    "мере|необходимост|случа|запрос|возникновени|услови|наличи|согласовани|согласно|"
    "заявк|требовани|факт|приглашени|решени|распоряжени|соответстви|установленн|"
    "окончани|завершени|накануне|план|график|расписани|программ|проведени|реализаци|"
    "месячник|акци|конкурс|проект|приказ|отдельн|поступлени|появлени|возможност|"
    "потребност|местн|времени|включительно|текущ|начиная|работ|утверждени|назначени|"
    "получени"
)
#: a joined word: a stem with at most a Russian ending, never a stem swallowing
#: the next word («учебногогода»)
_ENDING = "[а-я]{0,5}"
_JOINED_RE = re.compile(
    "(?:"
    + "|".join(
        [f"(?:{_PHRASE_STEMS}){_ENDING}"]
        + [p.pattern.lstrip("^") + _ENDING for p, _ in _KW_PATTERNS if not p.pattern.endswith("$")]
        + [p.pattern.strip("^$") for p, _ in _KW_PATTERNS if p.pattern.endswith("$")]
        + [p.pattern.strip("^$") for p, _ in _ORD_PATTERNS + _WEEKDAY_PATTERNS]
        + [_MONTH_STEM_RE.pattern.strip("^$")]
    )
    + ")"
)
_EXACT_WORDS = (
    frozenset(_KW_EXACT) | frozenset(MONTH_FORMS) | frozenset(MONTH_ABBR) | frozenset(WEEKDAY_ABBR)
)


@lru_cache(maxsize=8192)
def exact_word(word: str) -> bool:
    """Whether ``word`` is a form the grammar reads exactly (no fuzzy month,
    no stem with a tail of another word): the test for joining pieces."""
    return word in _EXACT_WORDS or word in ROMAN or _JOINED_RE.fullmatch(word) is not None
