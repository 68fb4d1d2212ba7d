"""Daily digests: status rows in, e-mail messages out (pure: no I/O, no clock).

A digest goes to one recipient for one plan-local day. It lists the items
that are overdue (how many days late, which document is expected), the items
due within the look-ahead (14 days by default), and the on-demand items as a
footnote; a plain-text body with an HTML alternative (everything escaped)
and the recipient's items as an iCalendar attachment (``text/calendar``).
Nobody gets mail when nothing is overdue or due soon.

Who gets what:

- an item of a party goes to each of the party's ``contacts``;
- an item fanned out to an organisation (a duty of «ОО») goes to that
  organisation's curator (not to the party's contacts);
- an item overdue by more than ``escalate_after_days`` also goes, in a
  separate ``escalation`` message grouped by who is late, to the plan's
  ``escalation`` contact and to the party's ``escalation`` contact.

Headers cannot be injected: every name and subject passes
:func:`clean_header_text` (control, format and line-separator characters
become spaces), addresses are checked by :func:`validate_address` and built
with :class:`email.headerregistry.Address`, and the message is serialised by
:class:`email.message.EmailMessage`, which refuses CR/LF in header values
anyway. A recipient whose address is invalid is not mailed: it comes back in
:attr:`DigestBatch.skipped` with the reason.

Example::

    batch = build_digests(rows, directory, DigestOptions(sender=Address("Дорожная карта",
                          addr_spec="roadmap@example.org")), now=clock.now())
    for message in batch.messages:
        print(message.key, message.subject)
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from email.headerregistry import Address
from email.utils import format_datetime, parseaddr
from urllib.parse import quote

from notifications.calendar import (
    CalendarInfo,
    Details,
    PlanDetail,
    Revision,
    occurrence_entries,
    render,
)
from notifications.mime import ICS_FILENAME, address, encoded_words, mime_message
from roadmap.i18n import _, days_
from roadmap.indicators import MissingValue
from roadmap.status import Status
from roadmap.storage.tables import OUTBOX_DIGEST, OUTBOX_ESCALATION
from roadmap.tracking import StatusRow

DIGEST = OUTBOX_DIGEST
ESCALATION = OUTBOX_ESCALATION
MAX_HEADER_TEXT = 200
# An escalation names who is late, worst first, with counts: the worst
# items of the first DETAILED_WHOS, one line for each of the others.
WORST_ITEMS = 3
DETAILED_WHOS = 20
# A digest lists items overdue longer than this briefly, after the others,
# and leaves them out of its calendar attachment.
STALE_DAYS = 30
# An item's text on a brief line (a long overdue item).
BRIEF_TITLE = 160
# A plan's title, as the heading of its items (its code follows).
PLAN_TITLE = 120

# ---------------------------------------------------------------- directory


@dataclass(frozen=True)
class Contact:
    """A person or mailbox: ``name`` may be empty, ``email`` is unchecked text."""

    name: str | None
    email: str | None

    @classmethod
    def from_json(cls, data: object) -> Contact | None:
        """A contact from a JSON column (``{"name": ..., "email": ...}``) or None."""
        if not isinstance(data, Mapping):
            return None
        name, email = data.get("name"), data.get("email")
        return cls(
            name if isinstance(name, str) else None, email if isinstance(email, str) else None
        )


@dataclass(frozen=True)
class PartyContacts:
    name: str
    contacts: tuple[Contact, ...] = ()
    escalation: Contact | None = None
    register: str | None = None


@dataclass(frozen=True)
class PlanContacts:
    code: str
    title: str
    timezone: str
    escalation: Contact | None = None
    parties: Mapping[str, PartyContacts] = field(default_factory=dict)


@dataclass(frozen=True)
class Directory:
    """Who to write to: plans (with their parties) and organisation curators.

    ``curators`` is keyed by (register code, organisation code)."""

    plans: Mapping[str, PlanContacts]
    curators: Mapping[tuple[str, str], Contact] = field(default_factory=dict)
    sequences: Mapping[int, int] = field(default_factory=dict)  # occurrence id → sequence
    # occurrence id → indicator values its monitoring task still waits for
    missing: Mapping[int, Sequence[MissingValue]] = field(default_factory=dict)

    def recipients_for(self, row: StatusRow) -> list[Contact]:
        plan = self.plans.get(row.plan)
        party = plan.parties.get(row.party) if plan else None
        if party is None:
            return []
        if row.org is not None:
            curator = self.curators.get((party.register or "", row.org))
            return [curator] if curator is not None else []
        return list(party.contacts)

    def escalations_for(self, row: StatusRow) -> list[Contact]:
        plan = self.plans.get(row.plan)
        if plan is None:
            return []
        party = plan.parties.get(row.party)
        found = [plan.escalation, party.escalation if party else None]
        return [c for c in found if c is not None]

    def zone_of(self, row: StatusRow) -> str:
        plan = self.plans.get(row.plan)
        return plan.timezone if plan else "UTC"

    def title_of(self, plan_code: str) -> str:
        plan = self.plans.get(plan_code)
        return plan.title if plan else plan_code

    def curator_of(self, row: StatusRow) -> Contact | None:
        plan = self.plans.get(row.plan)
        party = plan.parties.get(row.party) if plan else None
        if party is None or row.org is None:
            return None
        return self.curators.get((party.register or "", row.org))


# ---------------------------------------------------------------- safe headers

_SPACES = re.compile(r"\s+")
# A pragmatic address check: what relays accept and people actually use.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class InvalidAddress(ValueError):
    """An e-mail address that cannot be used; ``str(err)`` says why."""


@functools.lru_cache(maxsize=1 << 17)  # names come back in every message: keep every organisation's
def clean_header_text(text: str | None, limit: int = MAX_HEADER_TEXT) -> str:
    """One line of text safe for a header (and for a one-line body field).

    Control characters (CR, LF, NUL, TAB, ...), format characters (zero
    width, bidi overrides) and Unicode line/paragraph separators become
    spaces; runs of white space collapse; the result is clipped to ``limit``.

    >>> clean_header_text("МКУ ИМЦРО\\r\\nBcc: evil@example.org")
    'МКУ ИМЦРО Bcc: evil@example.org'
    """
    if not text:
        return ""
    chars = [
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else ch
        for ch in str(text)
    ]
    cleaned = _SPACES.sub(" ", "".join(chars)).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def validate_address(email: str | None) -> str:
    """``email`` as a plain ``local@domain`` address, or :class:`InvalidAddress`.

    ASCII local part (no quoting, no comments), a domain of DNS labels
    (internationalised domains are accepted and kept as given). Nothing that
    could carry a second header or a second recipient gets through."""
    found = _valid(email)
    if found is not None:
        return found
    return _check_address(email)  # raises, saying why (in the current language)


@functools.lru_cache(maxsize=1 << 17)  # a national sweep checks each curator for every duty
def _valid(email: str | None) -> str | None:
    try:
        return _check_address(email)
    except InvalidAddress:
        return None


def _check_address(email: str | None) -> str:
    if email is None or not str(email).strip():
        raise InvalidAddress(_("адрес не указан"))
    text = str(email).strip()
    shown = text.encode("unicode_escape").decode("ascii")
    if any(unicodedata.category(ch)[0] in ("C", "Z") for ch in text):
        raise InvalidAddress(_("адрес «{a}» содержит пробелы или управляющие символы").format(a=shown))
    if text.count("@") != 1:
        raise InvalidAddress(_("адрес «{a}»: нужен ровно один знак @").format(a=shown))
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local) or ".." in local:
        raise InvalidAddress(_("адрес «{a}»: недопустимая часть до @").format(a=shown))
    if local.startswith(".") or local.endswith("."):
        raise InvalidAddress(_("адрес «{a}»: недопустимая часть до @").format(a=shown))
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as err:
        raise InvalidAddress(_("адрес «{a}»: недопустимый домен").format(a=shown)) from err
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        raise InvalidAddress(_("адрес «{a}»: недопустимый домен").format(a=shown))
    if text.isascii():
        # Dot-atom local part and LDH labels, checked above: exactly what
        # the standard library would parse back unchanged (and 100× faster).
        return text
    try:
        built = Address(addr_spec=text)
    except (ValueError, IndexError) as err:
        raise InvalidAddress(_("адрес «{a}» не разбирается").format(a=shown)) from err
    if built.addr_spec != text:
        raise InvalidAddress(_("адрес «{a}» не разбирается").format(a=shown))
    return text


def make_address(name: str | None, email: str | None) -> Address:
    """A validated :class:`Address` with a cleaned display name."""
    return Address(display_name=clean_header_text(name), addr_spec=validate_address(email))


def parse_sender(value: str, default_name: str) -> Address:
    """The From address of the settings (``addr`` or ``Name <addr>``)."""
    name, addr = parseaddr(value)
    if not addr:
        raise InvalidAddress(_("адрес отправителя «{a}» не разбирается").format(a=value))
    local, _at, domain = addr.rpartition("@")
    if domain.lower() == "localhost" and local:
        # Our own mailbox on this host (the default, for a relay on
        # loopback): the one single-label domain accepted, and only here.
        validate_address(f"{local}@localhost.localdomain")
        return Address(display_name=clean_header_text(name or default_name), addr_spec=addr)
    return make_address(name or default_name, addr)


# ---------------------------------------------------------------- building


@dataclass(frozen=True)
class DigestOptions:
    sender: Address
    reply_to: Address | None = None
    lookahead_days: int = 14
    escalate_after_days: int = 7
    # Where ``roadmap serve`` is reachable (None: not configured): each item
    # then links to the curator's page.
    base_url: str | None = None

    def item_url(self, row: StatusRow) -> str | None:
        if self.base_url is None:
            return None
        return f"{self.base_url.rstrip('/')}/#occ-{row.occurrence_id}"


@dataclass(frozen=True)
class OutgoingMessage:
    """One rendered message for the outbox."""

    key: str
    kind: str  # DIGEST | ESCALATION
    recipient: str  # validated addr-spec
    local_date: date
    zone: str
    subject: str
    message: bytes  # RFC 5322, CRLF line ends
    overdue: int
    due_soon: int


@dataclass(frozen=True)
class Skipped:
    """A recipient that was not mailed, and why."""

    kind: str
    local_date: date
    zone: str
    who: str  # the party or organisation the mail was for
    address: str | None
    reason: str

    @property
    def key(self) -> str:
        shown = (self.address or "").encode("unicode_escape").decode("ascii")
        return outbox_key(self.kind, self.local_date, self.zone, shown or f"<{self.who}>")


@dataclass
class DigestBatch:
    messages: list[OutgoingMessage] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def outbox_key(kind: str, local_date: date, zone: str, recipient: str) -> str:
    """The outbox's unique key: one message per kind, plan-local day and recipient.

    The zone is part of the «plan-local day»: the same person, responsible in
    plans of two zones, gets one digest per zone and day."""
    return f"{kind}/{local_date.isoformat()}/{zone}/{recipient.lower()}"


def is_due_soon(row: StatusRow, lookahead_days: int) -> bool:
    if row.status not in (Status.DUE_SOON, Status.UPCOMING) or row.due is None:
        return False
    return 0 <= (row.due - row.today).days <= lookahead_days


def _who(row: StatusRow) -> str:
    return clean_header_text(row.org_name or row.party_name)


#: Where an occurrence's mail goes: (party id, organisation id or None).
Route = tuple[int, int | None]


@dataclass
class Envelope:
    """One message to be: a recipient's digest or escalation for one
    plan-local day — who, and what it is made of (the status ``rows`` in
    hand, or the ``routes`` to read them from when it is rendered)."""

    kind: str  # DIGEST | ESCALATION
    local_date: date
    zone: str
    address: str | None  # the first in sort order of its spellings; if invalid, the raw text
    name: str | None = None
    invalid: str | None = None  # why the address cannot be used
    counts: bool = False  # something overdue or due soon (not only on demand)
    rows: dict[int, StatusRow] = field(default_factory=dict)
    routes: set[Route] = field(default_factory=set)
    whos: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        if self.invalid is None:
            return outbox_key(self.kind, self.local_date, self.zone, self.address or "")
        return self.skipped().key

    def skipped(self) -> Skipped:
        return Skipped(self.kind, self.local_date, self.zone,
                       clean_header_text(", ".join(sorted(self.whos)), limit=80), self.address,
                       self.invalid or "")

    def to(self) -> Address:
        return Address(display_name=self.name or "", addr_spec=self.address or "")


class Mailbag:
    """Sorts contacts into envelopes — one per kind, recipient (address, case
    folded), plan-local day and zone — validating each address once. Both
    ways of deciding who gets mail use it: :func:`build_digests` (status rows
    in hand) and :mod:`notifications.recipients` (routes, in the database)."""

    def __init__(self) -> None:
        self._envelopes: dict[tuple[str, str, date, str], Envelope] = {}
        self._missing: set[tuple[str, date, str, str]] = set()

    def add(
        self, kind: str, contact: Contact, zone: str, local_date: date, who: str,
        *, counts: bool, create: bool = True,
    ) -> Envelope | None:
        """The envelope of ``contact`` for that day (made unless ``create`` is
        false: then None when there is none yet); ``who`` is whom it is about."""
        try:
            address = validate_address(contact.email)
            invalid = None
        except InvalidAddress as err:
            address = (contact.email or "").strip() or f"<{who}>"
            invalid = str(err)
        slot = (kind, address.lower() if invalid is None else address, local_date, zone)
        envelope = self._envelopes.get(slot)
        if envelope is None:
            if not create:
                return None
            envelope = self._envelopes[slot] = Envelope(
                kind, local_date, zone, address if invalid is None else contact.email,
                invalid=invalid,
            )
        # Several contacts may share an address: whichever order they come
        # in, the same spelling and display name win.
        if invalid is None and envelope.address is not None:
            envelope.address = min(envelope.address, address)
        name = clean_header_text(contact.name)
        if name:
            envelope.name = name if envelope.name is None else min(envelope.name, name)
        envelope.counts = envelope.counts or counts
        if who not in envelope.whos:
            envelope.whos.append(who)
        return envelope

    def nobody(self, kind: str, local_date: date, zone: str, who: str) -> None:
        """An item that counts has no one to go to."""
        self._missing.add((kind, local_date, zone, who))

    def envelopes(self) -> list[Envelope]:
        """The envelopes with something to report and a usable address, in key order."""
        found = [e for e in self._envelopes.values() if e.counts and e.invalid is None]
        return sorted(found, key=lambda e: e.key)

    def skipped(self) -> list[Skipped]:
        """Who was not mailed: no address at all, or an invalid one."""
        found = [
            Skipped(kind, local_date, zone, who, None, _("нет адреса получателя"))
            for (kind, local_date, zone, who) in sorted(self._missing)
        ]
        found += sorted(
            (e.skipped() for e in self._envelopes.values() if e.counts and e.invalid is not None),
            key=lambda s: (s.kind, s.key),
        )
        return found


def build_digests(
    rows: Iterable[StatusRow],
    directory: Directory,
    options: DigestOptions,
    now: datetime,
    skip_keys: frozenset[str] | set[str] = frozenset(),
) -> DigestBatch:
    """Render today's digests and escalations for ``rows``.

    ``rows`` come from :func:`roadmap.tracking.status_rows` (each carries its
    plan-local ``today``); ``now`` (aware) dates the messages. Keys in
    ``skip_keys`` (already in the outbox) are not rendered again."""
    bag = Mailbag()
    for row in rows:
        overdue = row.status is Status.OVERDUE
        counts = overdue or is_due_soon(row, options.lookahead_days)
        if not (counts or row.status is Status.ON_DEMAND):
            continue
        zone = directory.zone_of(row)
        recipients = directory.recipients_for(row)
        if not recipients and counts:
            bag.nobody(DIGEST, row.today, zone, _who(row))
        for contact in recipients:
            envelope = bag.add(DIGEST, contact, zone, row.today, _who(row), counts=counts)
            assert envelope is not None
            envelope.rows.setdefault(row.occurrence_id, row)
        if overdue and row.days_overdue > options.escalate_after_days:
            for contact in directory.escalations_for(row):
                envelope = bag.add(ESCALATION, contact, zone, row.today, _who(row), counts=True)
                assert envelope is not None
                envelope.rows.setdefault(row.occurrence_id, row)
    batch = DigestBatch(skipped=bag.skipped())
    for envelope in bag.envelopes():
        if envelope.key in skip_keys:
            continue
        rendered = render_envelope(envelope, list(envelope.rows.values()), directory, options, now)
        if rendered is not None:
            batch.messages.append(rendered)
    return batch


def render_envelope(
    envelope: Envelope,
    rows: Iterable[StatusRow],
    directory: Directory,
    options: DigestOptions,
    now: datetime,
) -> OutgoingMessage | None:
    """The message of ``envelope`` made of ``rows`` (its recipient's open
    items on its day; rows that do not belong in that kind of message are
    left out), or None when nothing is left to report."""
    if envelope.kind == DIGEST:
        items = [r for r in rows if r.status is Status.ON_DEMAND or _counts(r, options)]
        return _render_digest(envelope.to(), items, directory, options, envelope.local_date,
                              envelope.zone, now, envelope.key)
    late = [r for r in rows
            if r.status is Status.OVERDUE and r.days_overdue > options.escalate_after_days]
    return _render_escalation(envelope.to(), late, directory, options, envelope.local_date,
                              envelope.zone, now, envelope.key)


def _counts(row: StatusRow, options: DigestOptions) -> bool:
    return row.status is Status.OVERDUE or is_due_soon(row, options.lookahead_days)


def _whos(rows: Sequence[StatusRow]) -> str:
    names: list[str] = []
    for row in rows:
        who = _who(row)
        if who not in names:
            names.append(who)
    return clean_header_text(", ".join(names), limit=80)


def _by_plan(rows: Sequence[StatusRow]) -> list[StatusRow]:
    """``rows`` (sorted) grouped by plan, the plans in the order they first
    come: each plan's heading is written once."""
    first: dict[str, int] = {}
    for row in rows:
        first.setdefault(row.plan, len(first))
    return sorted(rows, key=lambda r: first[r.plan])  # stable: keeps the order within


def _sort_key(row: StatusRow) -> tuple[date, str, str, str]:
    return (row.due or date.max, row.plan, row.number or row.task, _who(row))


# ---------------------------------------------------------------- rendering


def _d(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else "—"


def _title(row: StatusRow, limit: int = 400) -> str:
    number = clean_header_text(row.number or row.task, limit=20)
    return f"{number} {clean_header_text(row.activity, limit=limit)}"


def _late(row: StatusRow) -> str:
    return days_("просрочено на {n} дн.", row.days_overdue).format(n=row.days_overdue)


def _left(row: StatusRow) -> str:
    days = (row.due - row.today).days if row.due else 0
    if days == 0:
        return _("срок сегодня")
    return days_("осталось {n} дн.", days).format(n=days)


@dataclass(frozen=True)
class _Section:
    heading: str
    rows: list[StatusRow]
    when: str  # "late" | "left" | ""
    total: int = 0  # more than the rows shown: the rest are counted, not listed

    @property
    def count(self) -> int:
        return max(self.total, len(self.rows))

    @property
    def more(self) -> str | None:
        rest = self.total - len(self.rows)
        return _("… и ещё {n}").format(n=rest) if rest > 0 else None


def _detail_lines(
    row: StatusRow, when: str, show_who: bool, options: DigestOptions, directory: Directory
) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    if when:
        state = _left(row) if when == "left" else _late(row)
        lines.append((_("Срок"), f"{_d(row.due)} — {state}"))
    # Long overdue: the reader has had the details in every digest since.
    stale = when == "stale" or (when == "late" and row.days_overdue > STALE_DAYS)
    if row.result and not stale:
        lines.append((_("Ожидаемый результат"), clean_header_text(row.result, limit=400)))
    if show_who:
        lines.append((_("Исполнитель"), _who(row)))
    for missing in directory.missing.get(row.occurrence_id, ()):
        lines.append((_("Не сообщено значение"), _missing_text(missing, row.org is None)))
    url = options.item_url(row)
    if url is not None:
        lines.append((_("Отметить выполнение"), url))
    return lines


MISSING_LISTED = 10  # organisations named under a monitoring task, at most


def _missing_text(missing: MissingValue, name_them: bool) -> str:
    """«Доля педагогов … (2024)», and for a collecting party which of how
    many organisations have not reported (the first few named)."""
    text = f"{clean_header_text(missing.name, limit=160)} ({missing.year})"
    if not name_them:
        return text
    names = ", ".join(missing.missing[:MISSING_LISTED])
    more = len(missing.missing) - MISSING_LISTED
    if more > 0:
        names += " " + _("и ещё {n}").format(n=more)
    return _("{text}: нет от {n} из {expected} — {names}").format(
        text=text, n=len(missing.missing), expected=missing.expected, names=names
    )


def _item(
    row: StatusRow, when: str, show_who: bool, options: DigestOptions, directory: Directory
) -> tuple[str, list[tuple[str, str]]]:
    """An item's first line and its detail lines; a long overdue one
    («stale») has its deadline on the first line."""
    lines = _detail_lines(row, when, show_who, options, directory)
    if when == "stale" or (when == "late" and row.days_overdue > STALE_DAYS):
        (_label, deadline), *rest = lines
        return f"{_title(row, BRIEF_TITLE)} — {deadline}", rest
    return _title(row), lines


def how_to_report(options: DigestOptions) -> str:
    """The last words of a digest: where to mark things done."""
    if options.base_url is not None:
        return _(
            "Отметить выполнение и приложить документ: ссылка у каждого пункта (страница "
            "откроется после вашей личной ссылки от координатора)."
        )
    return _(
        "Чтобы отметить выполнение, попросите у координатора личную ссылку на страницу "
        "организации (roadmap link create) или сообщите ему о выполнении с документом."
    )


def _plain(greeting: str, intro: str, sections: Sequence[_Section], footnote: _Section | None,
           directory: Directory, outro: str, show_who: bool, options: DigestOptions,
           notes: Sequence[str] = ()) -> str:
    out = [greeting, "", intro]
    for section in sections:
        out += ["", f"{section.heading} ({section.count})", ""]
        plan = None
        for row in section.rows:
            if row.plan != plan:
                plan = row.plan
                out.append(f"{clean_header_text(directory.title_of(plan), PLAN_TITLE)} [{plan}]")
            head, details = _item(row, section.when, show_who, options, directory)
            out.append(f"  • {head}")
            for label, value in details:
                out.append(f"      {label}: {value}")
        if section.more:
            out.append(f"  {section.more}")
    if footnote is not None and footnote.rows:
        out += ["", "* " + footnote.heading + ":"]
        for row in footnote.rows:
            out.append(f"  – {_title(row)} [{row.plan}]")
    if notes:
        out += ["", *notes]
    out += ["", outro, ""]
    return "\n".join(out)


def _html(greeting: str, intro: str, sections: Sequence[_Section], footnote: _Section | None,
          directory: Directory, outro: str, show_who: bool, options: DigestOptions,
          notes: Sequence[str] = ()) -> str:
    e = html.escape
    out = [
        '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif">',
        f"<p>{e(greeting)}</p>",
        f"<p>{e(intro)}</p>",
    ]
    for section in sections:
        out.append(f"<h3>{e(section.heading)} ({section.count})</h3>")
        plan = None
        for row in section.rows:
            if row.plan != plan:
                if plan is not None:
                    out.append("</ul>")
                plan = row.plan
                out.append(f"<p><b>{e(clean_header_text(directory.title_of(plan), PLAN_TITLE))}</b> "
                           f"[{e(plan)}]</p><ul>")
            head, lines = _item(row, section.when, show_who, options, directory)
            details = "".join(
                f"<br>{e(label)}: {e(value)}" for label, value in lines
                if label != _("Отметить выполнение")
            )
            url = options.item_url(row)
            label = _("отметить выполнение")
            link = f' — <a href="{e(url)}">{e(label)}</a>' if url is not None else ""
            out.append(f"<li>{e(head)}{link}{details}</li>")
        if plan is not None:
            out.append("</ul>")
        if section.more:
            out.append(f"<p>{e(section.more)}</p>")
    if footnote is not None and footnote.rows:
        out.append(f"<p><small>* {e(footnote.heading)}:</small></p><ul>")
        out += [f"<li><small>{e(_title(r))} [{e(r.plan)}]</small></li>" for r in footnote.rows]
        out.append("</ul>")
    out += [f"<p>{e(note)}</p>" for note in notes]
    out.append(f"<p><small>{e(outro)}</small></p></body></html>")
    return "\n".join(out)


def _message(
    to: Address,
    subject: str,
    plain: str,
    html_body: str,
    ics: bytes | None,
    options: DigestOptions,
    now: datetime,
    key: str,
) -> bytes:
    # Derived from the outbox key: a copy sent twice (see notifications.outbox)
    # carries the same Message-ID, so mail clients show it once.
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    headers = [("From", address(options.sender)), ("To", address(to))]
    if options.reply_to is not None:
        headers.append(("Reply-To", address(options.reply_to)))
    headers += [
        ("Subject", encoded_words(clean_header_text(subject, limit=250))),
        ("Date", format_datetime(now)),
        ("Message-ID", f"<{digest}@{options.sender.domain or 'roadmap'}>"),
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
    ]
    return mime_message(headers, plain, html_body, ics, boundary=f"=_roadmap_{digest[:16]}")


def _render_digest(
    to: Address,
    items: list[StatusRow],
    directory: Directory,
    options: DigestOptions,
    local_date: date,
    zone: str,
    now: datetime,
    key: str,
) -> OutgoingMessage | None:
    items.sort(key=_sort_key)
    overdue = [r for r in items if r.status is Status.OVERDUE]
    soon = [r for r in items if is_due_soon(r, options.lookahead_days)]
    on_demand = [r for r in items if r.status is Status.ON_DEMAND]
    if not overdue and not soon:
        return None
    recent = [r for r in overdue if r.days_overdue <= STALE_DAYS]
    stale = [r for r in overdue if r.days_overdue > STALE_DAYS]
    whos = _whos(overdue + soon)
    several = len({_who(r) for r in overdue + soon}) > 1
    subject = _("Дорожная карта: просрочено {overdue}, скоро срок {soon} — {who}").format(
        overdue=len(overdue), soon=len(soon), who=whos
    )
    greeting = (_("Здравствуйте, {name}!").format(name=to.display_name)
                if to.display_name else _("Здравствуйте!"))
    intro = _("Сроки дорожных карт на {day} ({zone}) для: {who}.").format(
        day=_d(local_date), zone=zone, who=whos
    )
    sections = [
        s for s in (
            _Section(_("Просрочено"), _by_plan(recent), "late"),
            _Section(days_("Скоро срок — в ближайшие {n} дн.", options.lookahead_days)
                     .format(n=options.lookahead_days),
                     _by_plan(soon), "left"),
            _Section(days_("Давно просрочено — более {n} дн.", STALE_DAYS).format(n=STALE_DAYS),
                     _by_plan(stale), "stale"),
        ) if s.rows
    ]
    footnote = _Section(_("По мере необходимости (без срока)"), on_demand, "")
    outro = how_to_report(options) + " " + _(
        "Сроки — в приложенном календаре {file}. Это письмо отправлено автоматически, "
        "один раз в день; отвечать на него не нужно."
    ).format(file=ICS_FILENAME)
    plain = _plain(greeting, intro, sections, footnote, directory, outro, several, options)
    html_body = _html(greeting, intro, sections, footnote, directory, outro, several, options)
    # The calendar carries what is still ahead or just missed; the long
    # overdue are listed in the text (and in the feeds).
    ics = ics_for(recent + soon, directory, stamp=now)
    return OutgoingMessage(
        key, DIGEST, to.addr_spec, local_date, zone, clean_header_text(subject, 250),
        _message(to, subject, plain, html_body, ics, options, now, key),
        len(overdue), len(soon),
    )


def _late_who(who: str, rows: Sequence[StatusRow]) -> str:
    """«who — просрочено N, до D дн.» (``rows`` worst first)."""
    worst = rows[0].days_overdue
    return days_("{who} — просрочено: {n}, до {days} дн.", worst).format(
        who=who, n=len(rows), days=worst)


def _render_escalation(
    to: Address,
    items: list[StatusRow],
    directory: Directory,
    options: DigestOptions,
    local_date: date,
    zone: str,
    now: datetime,
    key: str,
) -> OutgoingMessage | None:
    if not items:
        return None
    by_who: dict[str, list[StatusRow]] = defaultdict(list)
    for row in sorted(items, key=lambda r: (-r.days_overdue, *_sort_key(r))):
        by_who[_who(row)].append(row)
    subject = days_(
        "Дорожная карта: эскалация — просрочено более {days} дн.: {n} (исполнителей: {who})",
        options.escalate_after_days,
    ).format(days=options.escalate_after_days, n=len(items), who=len(by_who))
    greeting = (_("Здравствуйте, {name}!").format(name=to.display_name)
                if to.display_name else _("Здравствуйте!"))
    intro = days_(
        "На {day} ({zone}) эти сроки просрочены более чем на {days} дн. "
        "Ниже — по исполнителям.",
        options.escalate_after_days,
    ).format(day=_d(local_date), zone=zone, days=options.escalate_after_days)
    sections, notes = [], []
    ranked = sorted(by_who.items(), key=lambda kv: (-kv[1][0].days_overdue, kv[0]))
    for who, rows in ranked[:DETAILED_WHOS]:
        curator = directory.curator_of(rows[0])
        heading = who
        if curator is not None and (curator.name or curator.email):
            contact = ", ".join(
                clean_header_text(x) for x in (curator.name, curator.email) if x
            )
            heading = _("{who} (куратор: {contact})").format(who=heading, contact=contact)
        # The worst items of each: the whole list is on the dashboard.
        sections.append(_Section(heading, rows[:WORST_ITEMS], "late", len(rows)))
    if len(ranked) > DETAILED_WHOS:
        notes.append(_("Ещё просрочили ({n}):").format(n=len(ranked) - DETAILED_WHOS))
        notes += ["  – " + _late_who(who, rows) for who, rows in ranked[DETAILED_WHOS:]]
    if options.base_url is not None:
        base = options.base_url.rstrip("/")
        for plan in sorted({r.plan for r in items}):
            notes.append(_("Сводка по плану {plan}: {url}").format(
                plan=plan, url=f"{base}/plan/{quote(plan, safe='')}"))
    outro = _("Это письмо отправлено автоматически, не чаще раза в день.")
    # The coordinator's own way in is the dashboard: no per-item links here.
    plain_options = replace(options, base_url=None)
    shown = [r for section in sections for r in section.rows if r.days_overdue <= STALE_DAYS]
    plain = _plain(greeting, intro, sections, None, directory, outro, False, plain_options, notes)
    html_body = _html(greeting, intro, sections, None, directory, outro, False, plain_options,
                      notes)
    ics = ics_for(shown, directory, stamp=now)
    return OutgoingMessage(
        key, ESCALATION, to.addr_spec, local_date, zone, clean_header_text(subject, 250),
        _message(to, subject, plain, html_body, ics, options, now, key),
        len(items), 0,
    )


# ---------------------------------------------------------------- attachment


def ics_for(rows: Sequence[StatusRow], directory: Directory, stamp: datetime) -> bytes | None:
    """The message's dated items as an iCalendar file, made by
    :mod:`notifications.calendar` (the same UIDs and dates as the feeds:
    all-day, exclusive DTEND, DTSTAMP in UTC; brief descriptions, as the
    message holds the rest); ``stamp`` dates it."""
    details = Details(
        plans={
            code: PlanDetail(plan.title, plan.timezone) for code, plan in directory.plans.items()
        },
        tasks={},
    )
    entries = occurrence_entries(rows, directory.sequences, details, brief=True)
    if not entries:
        return None
    uid = hashlib.sha256("|".join(sorted(e.uid for e in entries)).encode()).hexdigest()[:32]
    info = CalendarInfo(
        uid=f"{uid}@roadmap",
        name=_("Сроки дорожных карт"),
        description=_("Просроченные и ближайшие сроки из письма-напоминания"),
    )
    return render(info, entries, {e.uid: Revision(0, stamp) for e in entries})
