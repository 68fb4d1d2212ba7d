"""Responsible parties of an imported table: split the cell text into
parties, reuse known ids, create readable ones for the rest.

«МКУ ИМЦРО, ОО» names two parties. Commas and semicolons split, but not
inside brackets or quotes («Министерство (далее – М., РИКП)» is one). Runs
of parts that together are a known name are kept together
(«Заместитель начальника УО, координатор ЦМН» is one person). Names are
compared without case, ё/е and quote style. «ОО», «образовательные
организации», «школы» are the duty of every organisation: the party bound
to a register when one is known, else a new «oo» party.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from roadmap.importing.table import normalise

# Wordings that mean «every educational organisation» (normalised).
EVERY_ORGANISATION = frozenset(
    {
        "оо", "оу", "оо района", "оо города", "школы", "общеобразовательные организации",
        "образовательные организации", "образовательные учреждения",
        "общеобразовательные учреждения", "руководители оо", "руководитель оо",
        "руководители оу", "все оо", "директора оо", "директора школ",
    }
)
SHORT_NAME_RE = re.compile(r"\s*\(\s*далее\s*[-–—:]?\s*([^()]{1,60}?)\s*\)", re.I)
OO_ID = "oo"
OO_NAME = "Образовательные организации"

_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya"
_TRANSLIT = {
    cyr: lat.strip("_")
    for cyr, lat in zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN.split(), strict=True)
}
MAX_ID = 32


def party_key(name: str) -> str:
    """A name as compared: lower case, ё → е, one quote style, no end dot."""
    text = re.sub(r"[«»“”„\"']", '"', normalise(name))
    return text.strip(" .;,")


def transliterate(name: str) -> str:
    """A readable id from a Russian name: «МКУ ИМЦРО» → ``mku-imtsro``."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in name.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")
    if len(slug) > MAX_ID:
        slug = slug[:MAX_ID].rsplit("-", 1)[0] or slug[:MAX_ID]
    return slug or "party"


def split_parts(text: str) -> list[str]:
    """``text`` split at commas and semicolons outside brackets and quotes."""
    parts: list[str] = []
    depth = 0
    quote = False
    current = ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        elif ch == "«":
            depth += 1
        elif ch == "»" and depth:
            depth -= 1
        elif ch == '"':
            quote = not quote
        if ch in ",;\n" and depth == 0 and not quote:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


@dataclass
class KnownParty:
    """A party the import may reuse (from ``--register`` or made here)."""

    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    register: str | None = None
    created: bool = False  # made by this import (listed in the summary)
    used: bool = False


class PartyResolver:
    """Turns responsible texts into party ids, reusing ``known`` parties.

    Example::

        resolver = PartyResolver([KnownParty("imcro", "МКУ ИМЦРО")])
        resolver.resolve("МКУ ИМЦРО, ОО")   # ("imcro", "oo")
    """

    def __init__(self, known: Iterable[KnownParty] = (), register: str | None = None) -> None:
        self.parties: list[KnownParty] = []
        self._by_key: dict[str, KnownParty] = {}
        self._register = register  # the register of «ОО» when none of ``known`` has one
        for party in known:
            self._add(party)

    def _add(self, party: KnownParty) -> None:
        self.parties.append(party)
        for name in (party.name, *party.aliases):
            self._by_key.setdefault(party_key(name), party)

    def _every_organisation(self, wording: str) -> KnownParty:
        for party in self.parties:
            if party.register:
                break
        else:
            found = next((p for p in self.parties if p.id == OO_ID), None)
            if found is None:
                found = KnownParty(OO_ID, OO_NAME, register=self._register, created=True)
                self._add(found)
            party = found
        if wording not in party.aliases and party_key(wording) != party_key(party.name):
            party.aliases.append(wording)
        self._by_key.setdefault(party_key(wording), party)
        return party

    def resolve(self, text: str) -> tuple[str, ...]:
        """The party ids ``text`` names, in order, each once."""
        parts = split_parts(text)
        found: list[KnownParty] = []
        i = 0
        while i < len(parts):
            # The longest run of parts that is a known name.
            for j in range(len(parts), i, -1):
                party = self._by_key.get(party_key(", ".join(parts[i:j])))
                if party is not None:
                    found.append(party)
                    i = j
                    break
            else:
                found.extend(self._inside(parts[i]) or [self._new(parts[i])])
                i += 1
        for party in found:
            party.used = True
        return tuple(dict.fromkeys(p.id for p in found))

    def _inside(self, wording: str) -> list[KnownParty]:
        """Known names written inside ``wording`` without a comma between
        them («Департамент образования МКУ ИМЦРО»), in order; a name inside
        a longer one found there does not count."""
        text = party_key(wording)
        spans: list[tuple[int, int, KnownParty]] = []
        for key, party in self._by_key.items():
            if len(key) < 2:
                continue
            for match in re.finditer(rf"(?<!\w){re.escape(key)}(?!\w)", text):
                spans.append((match.start(), match.end(), party))
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        kept: list[tuple[int, int, KnownParty]] = []
        for start, end, party in spans:
            if kept and start < kept[-1][1]:
                continue  # inside (or across) a name already taken
            kept.append((start, end, party))
        return [party for _s, _e, party in kept]

    def _new(self, wording: str) -> KnownParty:
        if party_key(wording) in EVERY_ORGANISATION:
            return self._every_organisation(wording)
        aliases = [wording]
        name = wording
        short = SHORT_NAME_RE.search(wording)
        if short:
            # «Региональный институт … (далее – РИКП)»: the text goes on to
            # say «РИКП»; the party is named so, every form an alias.
            name = short.group(1).strip()
            aliases += [SHORT_NAME_RE.sub("", wording).strip(), name]
        base = transliterate(name)
        ident, n = base, 2
        taken = {p.id for p in self.parties}
        while ident in taken:
            ident, n = f"{base}-{n}", n + 1
        party = KnownParty(ident, name, list(dict.fromkeys(aliases)), created=True)
        self._add(party)
        return party
