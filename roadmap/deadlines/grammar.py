"""The small grammar: tokens → parts → atoms (groups, units, flags).

A phrase is split into parts at «;». Inside a part, an on-demand marker
(«по мере …», «по необходимости», «после приказа» …) claims the rest of the
part. What remains is read left to right into atoms:

- a :class:`~roadmap.deadlines.atoms.Group`: dated items (days, months, ranges, quarters, parts of a
  month, seasons) followed by the years they apply to («Октябрь, март
  2023, 2024 гг.»), or years alone («2021-2024 гг.»);
- a :class:`~roadmap.deadlines.atoms.Unit`: a rhythm with a calendar meaning («ежеквартально», «в
  течение года», «до 10 числа каждого месяца», «первая пятница месяца»);
- a :class:`~roadmap.deadlines.atoms.Flag`: «ежегодно», «постоянно», a finer rhythm («еженедельно»).

Words that match nothing are collected in ``ignored`` for a warning.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from roadmap.deadlines.atoms import Flag, Group, Item, Part, Unit
from roadmap.deadlines.normalize import Tok, joined, tokenize
from roadmap.model import SchoolYear

#: «в период проведения …», «реализации …»: what is held is an event
_HELD = ("проведени", "реализаци", "работы")

#: «3 недели января», «1 неделя каждого месяца» are weeks of a month (rule 24),
#: not a duration
_NOT_OF_MONTH = (
    r"(?!(?:\w+ )?(?:недел|декад)\w* (?:январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|"
    r"октябр|ноябр|декабр|кажд|месяц))"
)
_NOT_PLAN = r"(?!(?:\w+ )?(?:план|график|расписан|календар))"
_STRONG = re.compile(
    r"\b(?:по мере|по необходимости|при необходимости|в случае|по запрос\w*|"
    r"при возникновении|при условии|при наличии|по согласованию|по заявк\w*|"
    r"по требованию|по факту|по приглашению|по решению|по распоряжению|"
    r"в соответствии со? " + _NOT_PLAN + r"|согласно " + _NOT_PLAN + r"|"
    r"в (?:установленные )?сроки|в установленн\w+ срок\w*|"
    r"после (?!\d|отчетн)|с момента|со дня|по окончании|по завершении|накануне|"
    r"через (?:\d+ )?(?:\w+ )?(?:дн|день|недел|месяц|год|час)|"
    r"за (?:\d+ )?(?:\w+ )?(?:дн|день|недел|месяц|год)\w* до\b|"
    r"в течение \d+(?: - \d+)? "
    + _NOT_OF_MONTH
    + r"(?:\w+ )?(?:дн|день|недел|месяц|час|рабоч|календарн)|"
    r"в день (?!\d)|не позднее \d+ (?:\w+ )?(?:дн|день|недел|месяц)\w* (?:после|с|со|от)\b)"
)
_WEAK = re.compile(
    r"\b(?:по|согласно|в соответствии со?) (?:\w+ )?(?:план|график|расписани|программ|календар)\w*"
)

# Words that carry no meaning of their own in a deadline.
_FILLERS = frozenset(
    {"in", "on", "and", "filler", "further", "yearword", "not", "later", "calendar",
     "hour", "minute", "working", "dayunit"}
)  # fmt: skip
_FILLER_WORDS = frozenset(
    {"местному", "местного", "времени", "мск", "включительно", "ежегодной", "т", "е",
     "года", "текущего", "текущем", "за", "начиная"}
)  # fmt: skip
_SEPARATORS = frozenset({",", "and", "."})


def _kw(tok: Tok) -> str | None:
    lex = tok.lex
    return lex.value if lex is not None and lex.kind == "kw" else None  # type: ignore[return-value]


def _month(tok: Tok) -> int | None:
    lex = tok.lex
    return lex.value if lex is not None and lex.kind == "month" else None  # type: ignore[return-value]


def _is_year(tok: Tok) -> bool:
    return tok.kind == "num" and len(tok.text) == 4 and 1900 <= tok.num <= 2100


def _is_day(tok: Tok) -> bool:
    return tok.kind == "num" and len(tok.text) <= 2 and 1 <= tok.num <= 31


def _small(tok: Tok) -> int | None:
    """A small ordinal: Roman or Arabic numeral (``1``, ``IV``, ``2-е``) or a word."""
    if tok.kind == "num" and len(tok.text) <= 2:
        return tok.num
    lex = tok.lex
    if lex is not None and lex.kind in ("roman", "ord"):
        return lex.value  # type: ignore[return-value]
    return None


class Parser:
    """Reads one phrase. Use :func:`parse`."""

    def __init__(self, text: str, school_year: SchoolYear, school_years: bool) -> None:
        self.toks = [t for t in tokenize(text) if t.kind not in ("(", ")")]
        self.norm = joined(self.toks)
        self.sy = school_year
        self.school_years = school_years

    # -- small helpers ---------------------------------------------------
    def kw(self, i: int) -> str | None:
        return _kw(self.toks[i]) if i < self.hi else None

    def kind(self, i: int) -> str | None:
        return self.toks[i].kind if i < self.hi else None

    def skip_yearwords(self, i: int) -> int:
        while i < self.hi and (self.toks[i].kind == "." or _kw(self.toks[i]) == "yearword"):
            i += 1
        return i

    # -- parts -----------------------------------------------------------
    def parts(self) -> list[Part]:
        out: list[Part] = []
        starts = [t.pos for t in self.toks]
        lo = 0
        n = len(self.toks)
        while lo <= n:
            hi = lo
            while hi < n and self.toks[hi].kind != ";":
                hi += 1
            part = Part()
            end = hi
            if lo < hi:
                seg_start = self.toks[lo].pos
                seg_end = self.toks[hi - 1].pos + len(self.toks[hi - 1].text)
                segment = self.norm[seg_start:seg_end]
                event = self.event_end(lo, hi)
                if event is not None:
                    # «с 1 апреля до окончания конкурса» (rule 31): open towards an event
                    cut = self.toks[event].pos - seg_start
                    part.event_end = segment[cut:]
                    segment = segment[:cut]
                    end = event
                strong = _STRONG.search(segment)
                weak = _WEAK.search(segment)
                if strong is not None:
                    part.on_demand = True
                    end = bisect_right(starts, seg_start + strong.start()) - 1
                if weak is not None and (strong is None or weak.start() < strong.start()):
                    part.weak_on_demand = True
                    end = min(end, bisect_right(starts, seg_start + weak.start()) - 1)
                self.read(lo, max(end, lo), part)
                out.append(part)
            lo = hi + 1
        return out

    def event_end(self, lo: int, hi: int) -> int | None:
        """Where «по завершении проекта» / «до окончания конкурса» ends a range
        opened by «с …» in tokens ``lo:hi`` (the end is an undated event)."""
        toks = self.toks
        opened = False
        for k in range(lo, hi - 2):
            kw = _kw(toks[k])
            if kw == "from":
                opened = True
            elif (
                opened
                and kw in ("to", "until")
                and toks[k + 1].text.startswith(("окончани", "завершени", "конц"))
                and toks[k + 2].kind == "word"
                and toks[k + 2].lex is None
            ):
                return k
        return None

    # -- atoms -----------------------------------------------------------
    def read(self, lo: int, hi: int, part: Part) -> None:
        self.hi = hi
        i = lo
        yearly = False
        within = False
        deadline: str | None = None
        open_from = False
        toks = self.toks
        while i < hi:
            tok = toks[i]
            kw = _kw(tok)
            if tok.kind == "time":
                part.times.append(tok.text)
                i += 1
                continue
            # «15.00 ч»: a time written with a dot
            if (
                tok.kind == "num"
                and self.kind(i + 1) == "."
                and self.kind(i + 2) == "num"
                and self.kw(i + 3) == "hour"
            ):
                part.times.append(f"{tok.text}:{toks[i + 2].text}")
                i += 4
                continue
            if kw == "yearly":
                part.atoms.append(Flag("yearly", tok.text))
                yearly = True
                i += 1
                continue
            if kw in ("quarterly", "monthly", "termly"):
                unit = {"quarterly": "quarter", "monthly": "month", "termly": "term"}[kw]
                part.atoms.append(Unit(unit))
                i += 1
                continue
            if kw in ("daily", "weekly"):
                part.add_rhythm(tok.text)
                i += 1
                continue
            if kw == "standing":
                part.atoms.append(Flag("standing", tok.text))
                i += 1
                continue
            if kw == "within":
                within = True
                i += 1
                j = i
                while self.kw(j) == "whole":
                    j += 1
                if self.kw(j) == "period":
                    part.atoms.append(Unit("period"))
                    i = self._skip_realisation(j + 1)
                    within = False
                elif self.kw(j) == "school" and self.kw(j + 1) == "yearword":
                    part.atoms.append(Unit("school_year"))
                    i = j + 2
                    within = False
                elif (self.kw(j) in ("yearword", "calendar")) and not (
                    j + 1 < hi and _is_year(toks[j + 1])
                ):
                    j = j + 1 if self.kw(j) == "calendar" else j
                    if self.kw(j) == "yearword":
                        part.atoms.append(Unit("year"))
                        i = j + 1
                        within = False
                elif self.kw(j) in ("monthunit", "quarter", "half", "term", "trimester"):
                    name = self.kw(j)
                    assert name is not None
                    part.atoms.append(Unit(_UNIT_OF[name]))
                    i = j + 1
                    within = False
                else:
                    got = self.event(j)
                    if got is not None:  # «в течение месячника» (rule 32)
                        part.atoms.append(Unit("period"))
                        i, within = got, False
                continue
            if kw == "in" and self.kw(i + 1) in ("course", "dayunit"):
                # «в ходе проведения недели», «в дни проведения декады» (rule 32)
                got = self.event(i + 2, named=self.kw(i + 1) == "course")
                if got is not None:
                    part.atoms.append(Unit("period"))
                    i = got
                    continue
            if kw == "whole" and self.kw(i + 1) == "period":
                part.atoms.append(Unit("period"))
                i = self._skip_realisation(i + 2)
                continue
            if kw == "in" and self.kw(i + 1) == "period":
                # «в период реализации …» standing alone: the whole period
                part.atoms.append(Unit("period"))
                i = self._skip_realisation(i + 2)
                continue
            got = self.rhythm(i, part)
            if got is not None:
                i = got
                continue
            got = self.weekday_of_month(i, part)
            if got is not None:
                i = got
                continue
            got = self.day_of_month(i, part, deadline is not None)
            if got is not None:
                i = got
                deadline = None
                continue
            got = self.span_of_month(i, part)
            if got is not None:
                i = got
                continue
            if kw in ("until", "by") or (kw == "not" and self.kw(i + 1) == "later"):
                j = i + (2 if kw == "not" else 1)
                if self.kw(j) == "later":
                    j += 1
                deadline = "start"
                if self.kw(j) == "end":
                    deadline = "end"
                    j += 1
                elif self.kw(j) == "begin":
                    j += 1
                i = j
                continue
            if kw == "later":
                deadline = "start"
                i += 1
                continue
            if kw == "to" and i + 1 < hi and (_is_day(toks[i + 1]) or _is_year(toks[i + 1])):
                deadline = "start"
                i += 1
                continue
            if kw == "from" and i + 1 < hi:
                open_from = True
                i += 1
                continue
            start = i
            found = self.group(i, deadline, within, yearly, open_from)
            if found is not None:
                group, i = found
                group.text = " ".join(t.text for t in toks[start:i])
                report = self.reporting(i + 1) if self.kw(i) == "yearword" else None
                day = group.items[0] if len(group.items) == 1 and not group.years else None
                if report is not None and day is not None and day.single_day and day.sy is None:
                    # «до 15 января года, следующего за отчётным» (rule 25)
                    months, i = report
                    part.atoms.append(Unit("report", day.sd, day.sm, months or 12))
                    deadline, within, open_from = None, False, False
                    continue
                part.atoms.append(group)
                deadline, within, open_from = None, False, False
                continue
            if tok.kind == "word" and kw is None and tok.text not in _FILLER_WORDS:
                lex = tok.lex
                if lex is None or lex.kind not in ("wdabbr",):
                    part.ignored.append(tok.text)
            elif tok.kind == "num":
                part.ignored.append(tok.text)
            i += 1

    def _skip_realisation(self, i: int) -> int:
        """«… периода реализации программы», «в период проведения акции»: the
        name of what is realised or held is a remark."""
        got = self.event(i)
        return i if got is None else got

    def event(self, i: int, named: bool = False) -> int | None:
        """An undated event of the plan's own («месячника», «проведения
        недели», «акции по …») starting at ``i`` → the index after its name.
        ``named``: the words before («в ходе …») already say an event follows,
        so «недели», «декады» name it too."""
        toks = self.toks
        j = i
        held = j < self.hi and toks[j].text.startswith(_HELD)
        if held:
            j += 1
        if j < self.hi and self.kw(j) in ("weekunit", "decade") and (held or named):
            j += 1  # «проведения недели»: the week is the event's name
        elif j >= self.hi or toks[j].kind != "word" or toks[j].lex is not None:
            return j if held else None
        while j < self.hi and toks[j].kind == "word" and toks[j].lex is None:
            j += 1
        return j

    # -- rhythms ---------------------------------------------------------
    def rhythm(self, i: int, part: Part) -> int | None:
        """«2 раза в год», «раз в квартал», «по четвертям», «каждый месяц»,
        «каждую среду», «по средам»."""
        toks = self.toks
        kw = self.kw(i)
        count = 1
        j = i
        if toks[i].kind == "num" and not _is_year(toks[i]) and self.kw(i + 1) == "times":
            count = toks[i].num
            j = i + 1
        elif kw in ("one", "two", "three", "four") and self.kw(i + 1) == "times":
            count = {"one": 1, "two": 2, "three": 3, "four": 4}[kw]
            j = i + 1
        if self.kw(j) == "times":
            if self.kw(j + 1) in ("in", "for", "to"):
                unit = self.kw(j + 2)
                end = j + 3
                if unit == "yearword" or (unit == "school" and self.kw(j + 3) == "yearword"):
                    end = end + 1 if unit == "school" else end
                    if count == 1:
                        part.atoms.append(Flag("yearly", "раз в год"))
                    elif count == 2:
                        part.atoms.append(Unit("half"))
                    elif count == 4:
                        part.atoms.append(Unit("quarter"))
                    elif count == 12:
                        part.atoms.append(Unit("month"))
                    else:
                        part.add_rhythm(f"{count} раз в год")
                    return end
                if unit in _UNIT_OF:
                    part.atoms.append(Unit(_UNIT_OF[unit]))
                    return end
                if unit in ("weekunit", "dayunit"):
                    part.add_rhythm(" ".join(t.text for t in toks[i:end]))
                    return end
            return None
        if kw in ("each", "to"):
            nxt = self.kw(i + 1)
            lex = toks[i + 1].lex if i + 1 < self.hi else None
            # «каждый квартал», «по четвертям» (a plural after «по»)
            if nxt in _UNIT_OF and (kw == "each" or toks[i + 1].text.endswith(("ам", "ям"))):
                part.atoms.append(Unit(_UNIT_OF[nxt]))
                return i + 2
            if kw == "each" and nxt == "yearword":
                part.atoms.append(Flag("yearly", "каждый год"))
                return i + 2
            if nxt in ("weekunit", "dayunit") or (
                lex is not None and lex.kind in ("weekday", "wdabbr")
            ):
                if lex is not None and lex.kind == "weekday" and self.kw(i + 2) == "monthunit":
                    return None
                part.add_rhythm(" ".join(t.text for t in toks[i : i + 2]))
                return i + 2
        return None

    def weekday_of_month(self, i: int, part: Part) -> int | None:
        """«(каждая) первая пятница месяца», «3-я среда месяца», «второе
        воскресенье сентября», «в последний четверг месяца»."""
        toks = self.toks
        j = i
        if self.kw(j) == "each":
            j += 1
        if j + 1 >= self.hi:
            return None
        n = _small(toks[j])
        lex = toks[j + 1].lex
        if n is None or lex is None or lex.kind != "weekday" or not (-1 <= n <= 5) or n == 0:
            return None
        if toks[j].kind == "num" and not toks[j].ordinal and self.kw(j + 2) != "monthunit":
            return None
        k = j + 2
        if self.kw(k) == "each":
            k += 1
        month = _month(toks[k]) if k < self.hi else None
        if month is not None:
            part.atoms.append(Unit("wdmonth", n, int(lex.value), month))
            return k + 1
        if self.kw(k) == "monthunit":
            k += 1
        part.atoms.append(Unit("wdmonth", n, int(lex.value), 0))
        return k

    def day_of_month(self, i: int, part: Part, deadline: bool) -> int | None:
        """«(до) 10 числа (каждого) месяца», «ежемесячно до 5-го числа»."""
        toks = self.toks
        if not (_is_day(toks[i]) and self.kw(i + 1) == "dom"):
            return None
        j = i + 2
        if self.kw(j) == "next" and self.kw(j + 1) == "monthunit":
            # «до 5 числа следующего месяца»: after each reporting period
            part.atoms.append(Unit("report", toks[i].num, 0, 0))
            return j + 2
        if self.kw(j) == "each":
            j += 1
        if self.kw(j) == "monthunit":
            j += 1
        got = self.reporting(j)
        if got is not None:
            months, j = got
            part.atoms.append(Unit("report", toks[i].num, 0, months))
            return j
        part.atoms.append(Unit("monthday", toks[i].num, deadline=deadline))
        return j

    def span_of_month(self, i: int, part: Part) -> int | None:
        """«1 декада каждого месяца», «ежемесячно (вторая неделя)»: a decade or
        a week of every month, when no month is named (rule 24)."""
        toks = self.toks
        n = _small(toks[i])
        if n == -1 and self.kw(i + 1) == "decade":
            n = 3
        if n is None or n < 1:
            return None
        j, n2 = i + 1, n
        if self.kind(j) == "-" and j + 1 < self.hi and _small(toks[j + 1]) is not None:
            n2 = _small(toks[j + 1]) or n
            j += 2
        unit = self.kw(j)
        if unit not in ("decade", "weekunit"):
            return None
        j += 2 if self.kind(j + 1) == "." else 1
        if j < self.hi and (_month(toks[j]) is not None or _is_year(toks[j])):
            return None  # a named month: an item of the calendar
        if self.kw(j) == "each":
            j += 1
        if self.kw(j) == "monthunit":
            j += 1
        spans = _DECADES if unit == "decade" else _WEEKS
        if not 1 <= n <= n2 <= len(spans):
            return None
        part.atoms.append(Unit("monthspan", spans[n - 1][0], spans[n2 - 1][1]))
        return j

    def reporting(self, j: int) -> tuple[int, int] | None:
        """«, следующего за отчётным (кварталом)», «после отчётного периода»
        (rule 25) at ``j`` → (months in the reporting period, 0 when the
        rhythm of the phrase says it; the index after), or None."""
        if self.kind(j) == ",":
            j += 1
        if self.kw(j) == "next" and self.kw(j + 1) == "for":
            j += 2
        elif self.kw(j) == "after":
            j += 1
        else:
            return None
        if self.kw(j) != "reporting":
            return None
        months = _REPORT_MONTHS.get(self.kw(j + 1) or "")
        if months is not None:
            return months, j + 2
        return 0, j + 1

    # -- dated groups ----------------------------------------------------
    def group(
        self, i: int, deadline: str | None, within: bool, yearly: bool, open_from: bool
    ) -> tuple[Group, int] | None:
        items: list[Item] = []
        j = i
        while j < self.hi:
            got = self.item(j, range_words=open_from)
            if got is None:
                break
            item, j = got
            items.append(item)
            k = j
            while k < self.hi and (self.kind(k) in _SEPARATORS or self.kw(k) in _SEPARATORS):
                k += 1
            if k < self.hi and k != j and self.item(k, range_words=False) is not None:
                j = k
                continue
            if k < self.hi and k == j and self.item(k, range_words=False) is not None:
                continue
            break
        years, school, j2 = self.years(j)
        if not items and not years and school is None:
            return None
        return (
            Group(items, years, deadline, open_from, within, yearly, school),
            j2,
        )

    def years(self, i: int) -> tuple[list[tuple[int, int]], int | None, int]:
        toks = self.toks
        out: list[tuple[int, int]] = []
        j = i
        school: int | None = None
        while True:
            k = j
            while k < self.hi and (self.kind(k) in _SEPARATORS or self.kw(k) in ("and", "in")):
                k += 1
            if k >= self.hi or not _is_year(toks[k]):
                break
            # a year that starts a «сентябрь 2022 – май 2023» range belongs to the next group
            y1 = toks[k].num
            y2 = y1
            k += 1
            m = self.skip_yearwords(k)
            if m < self.hi and (self.kind(m) in ("-", "/") or self.kw(m) in ("to", "until")):
                if m + 1 < self.hi and _is_year(toks[m + 1]):
                    y2 = toks[m + 1].num
                    k = m + 2
                elif (
                    m + 1 < self.hi
                    and toks[m + 1].kind == "num"
                    and len(toks[m + 1].text) == 2
                    and toks[m + 1].num == (y1 + 1) % 100
                ):
                    y2 = y1 + 1
                    k = m + 2
            k = self.skip_yearwords(k)
            if self.kw(k) == "school":
                school = y1 if y2 in (y1, y1 + 1) else None
                k = self.skip_yearwords(k + 1)
                if school is not None:
                    j = k
                    if not out:
                        return [], school, j
                    break
            out.append((y1, y2) if y1 <= y2 else (y2, y1))
            j = k
        return out, school, self.skip_yearwords(j) if out else j

    def point(self, i: int) -> tuple[tuple[int, int, int, int | None], int] | None:
        """A day or a month: (month, first day, last day (0 = month end), year)."""
        toks = self.toks
        hi = self.hi
        tok = toks[i]
        month = _month(tok)
        if month is not None:
            j = i + 1
            if j < hi and toks[j].kind == "." and len(tok.text) <= 4:
                j += 1
            return (month, 1, 0, None), j
        if _is_day(tok):
            if i + 1 < hi:
                month = _month(toks[i + 1])
                if month is not None:
                    j = i + 2
                    if self.kw(j) == "dom":
                        return None
                    if self.kind(j) == "." and len(toks[i + 1].text) <= 4:
                        j += 1  # «15 сент.»: the abbreviation's dot
                    return (month, tok.num, tok.num, None), j
            # numeric dd.mm[.yyyy]
            if (
                i + 2 < hi
                and toks[i + 1].kind == "."
                and toks[i + 2].kind == "num"
                and len(toks[i + 2].text) <= 2
                and 1 <= toks[i + 2].num <= 12
                and self.kw(i + 3) != "hour"
            ):
                d, m = tok.num, toks[i + 2].num
                j = i + 3
                year: int | None = None
                if j < hi and toks[j].kind == ".":
                    j += 1
                    if j < hi and toks[j].kind == "num" and len(toks[j].text) in (2, 4):
                        year = toks[j].num if len(toks[j].text) == 4 else 2000 + toks[j].num
                        j += 1
                return (m, d, d, year), j
        kw = _kw(tok)
        if kw in ("begin", "middle", "end") or (
            _small(tok) in (1, 2) and self.kw(i + 1) == "halfof"
        ):
            if kw in ("begin", "middle", "end"):
                d1, d2 = {"begin": (1, 10), "middle": (11, 20), "end": (21, 0)}[kw]
                j = i + 1
            else:
                d1, d2 = (1, 15) if _small(tok) == 1 else (16, 0)
                j = i + 2
            if j < hi:
                month = _month(toks[j])
                if month is not None:
                    return (month, d1, d2, None), j + 1
                if self.kw(j) == "school" and self.kw(j + 1) == "yearword":
                    m = self.sy.start[0] if kw in ("begin", None) else self.sy.end[0]
                    if kw == "middle":
                        return None
                    return (m, 1, 0, None), j + 2
                if self.kw(j) == "yearword" or _is_year(toks[j]):
                    if kw == "middle":
                        return None
                    m = 1 if kw in ("begin", None) and (kw == "begin" or _small(tok) == 1) else 12
                    if kw is None:
                        return None
                    return (m, 1, 0, None), (j + 1 if self.kw(j) == "yearword" else j)
        return None

    def part_of_year(self, i: int, n: int) -> tuple[Item, int] | None:
        """«I квартал», «1-2 квартал», «II полугодие», «3 четверть», «второй
        триместр», «1 декада марта», «3–4 недели ноября»; in a list («I, III
        кв.», «1 и 3 декады мая») each number takes the unit written last."""
        toks = self.toks
        j = i + 1
        n2 = n
        if self.kind(j) == "-" and j + 1 < self.hi and _small(toks[j + 1]) is not None:
            n2 = _small(toks[j + 1]) or n
            j += 2
        at = j if self.kw(j) in _PART_UNITS else self.shared_unit(j)
        if at is None:
            return None
        unit = self.kw(at)
        end = at + 1 if at == j else j  # a listed number leaves the unit to the last one
        if unit in ("decade", "weekunit"):
            # (rule 24) the month follows the unit
            month_at = at + 2 if self.kind(at + 1) == "." else at + 1  # «нед. ноября»
            month = _month(toks[month_at]) if month_at < self.hi else None
            spans = _DECADES if unit == "decade" else _WEEKS
            if month is None or not 1 <= n <= n2 <= len(spans):
                return None
            item = Item(month, spans[n - 1][0], month, spans[n2 - 1][1])
            return item, (month_at + 1 if at == j else end)
        if unit == "quarter" and 1 <= n <= n2 <= 4:
            return Item(3 * n - 2, 1, 3 * n2, 0), end
        if unit == "half" and 1 <= n <= n2 <= 2:
            if n != n2:
                return Item(1, 1, 12, 0), end
            return Item(1 if n == 1 else 7, 1, 6 if n == 1 else 12, 0, half=n), end
        if unit == "term" and 1 <= n <= n2 <= 4:
            terms = [(9, 10), (11, 12), (1, 3), (4, 5)]
            return Item(terms[n - 1][0], 1, terms[n2 - 1][1], 0), end
        if unit == "trimester" and 1 <= n <= n2 <= 3:
            tri = [(9, 11), (12, 2), (3, 5)]
            return Item(tri[n - 1][0], 1, tri[n2 - 1][1], 0), end
        return None

    def shared_unit(self, j: int) -> int | None:
        """The unit word that ends a list of small numbers starting at ``j``
        («, III кв.»), or None."""
        seen_sep = False
        while j < self.hi:
            tok = self.toks[j]
            if tok.kind == "," or _kw(tok) == "and":
                seen_sep = True
            elif tok.kind != "-" and _small(tok) is None:
                break
            j += 1
        return j if seen_sep and self.kw(j) in _PART_UNITS else None

    def range_end(self, k: int, range_words: bool) -> int | None:
        """Where the second end of a range starts after ``k``: past «-», «- по»,
        or (with ``range_words``, after «с») «по» / «до»; None if no range."""
        if self.kind(k) == "-":
            return k + 2 if self.kw(k + 1) in ("to", "until") else k + 1
        if range_words and self.kw(k) in ("to", "until"):
            return k + 1
        return None

    def item(self, i: int, range_words: bool) -> tuple[Item, int] | None:
        toks = self.toks
        hi = self.hi
        if i >= hi:
            return None
        tok = toks[i]
        kw = _kw(tok)
        if kw in ("summer", "spring", "autumn", "winter"):
            j = i + 1
            if self.kw(j) == "period":
                j += 1
            sm, em = {"summer": (6, 8), "spring": (3, 5), "autumn": (9, 11), "winter": (12, 2)}[kw]
            return Item(sm, 1, em, 0), j
        # «I квартал», «1-2 квартал», «II полугодие», «3 четверть», «второй триместр»
        n = _small(tok)
        if n == -1 and self.kw(i + 1) == "decade":
            n = 3  # «последняя декада» is the third
        if n is not None and n >= 1:
            got_part = self.part_of_year(i, n)
            if got_part is not None:
                return got_part
        # «3 — 7 октября», «с 1 по 15 сентября», «5-9.10.2025», «5 – по 9.10»
        after = self.range_end(i + 1, True) if _is_day(tok) else None
        if after is not None and after < hi and _is_day(toks[after]):
            got = self.point(after)
            if got is not None and got[0][1] == got[0][2]:
                (m, d, _, y), j = got
                if _month(toks[after + 1]) is not None or self.kind(after + 1) == ".":
                    if tok.num <= d:
                        return Item(m, tok.num, m, d, sy=y, ey=y, ranged=True), j
                    # «28-4.03»: the first day is in the month before
                    sm = m - 1 or 12
                    sy = y - 1 if y is not None and m == 1 else y
                    return Item(sm, tok.num, m, d, sy=sy, ey=y, ranged=True), j
        got = self.point(i)
        if got is None:
            return None
        (m1, a1, b1, y1), j = got
        item = Item(m1, a1, m1, b1, sy=y1, ey=y1, single_day=a1 == b1)
        # «сентябрь 2022 – май 2023»: a year followed by a dash and another point
        k = j
        own_year: int | None = None
        if k < hi and _is_year(toks[k]) and y1 is None:
            k2 = self.skip_yearwords(k + 1)
            dash = self.kind(k2) == "-" or (range_words and self.kw(k2) in ("to", "until"))
            if dash and k2 + 1 < hi and self.point(k2 + 1) is not None:
                own_year = toks[k].num
                k = k2
        after = self.range_end(k, range_words)
        if after is not None:
            got2 = self.point(after) if after < hi else None
            if got2 is not None:
                (m2, _a2, b2, y2), j2 = got2
                sy = own_year if own_year is not None else y1
                return Item(m1, a1, m2, b2, sy=sy, ey=y2, ranged=True), j2
        if own_year is not None:
            item.sy = item.ey = own_year
        return item, j


#: days of the decades and weeks of a month (0: the month's last day)
_DECADES = ((1, 10), (11, 20), (21, 0))
_WEEKS = ((1, 7), (8, 14), (15, 21), (22, 28), (29, 0))

#: the length of a reporting period named by its unit word
_REPORT_MONTHS = {"monthunit": 1, "quarter": 3, "half": 6, "yearword": 12, "period": 0}

_PART_UNITS = frozenset({"quarter", "half", "term", "trimester", "decade", "weekunit"})

_UNIT_OF = {
    "monthunit": "month",
    "quarter": "quarter",
    "half": "half",
    "term": "term",
    "trimester": "trimester",
}


@lru_cache(maxsize=8192)
def parse_memo(text: str, school_year: SchoolYear, school_years: bool) -> tuple[Part, ...]:
    """:func:`parse`, memoised by the text: plans across a country write the
    same phrases over different periods, and the reading does not depend on
    the period. The parts are shared: expansion only reads them."""
    return tuple(parse(text, school_year, school_years)[0])


def parse(text: str, school_year: SchoolYear, school_years: bool) -> tuple[list[Part], str]:
    """Read ``text`` into parts; also return the normalised text."""
    parser = Parser(text, school_year, school_years)
    return parser.parts(), parser.norm
