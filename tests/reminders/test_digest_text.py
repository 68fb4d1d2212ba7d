"""What a recipient reads, word for word: the digest and the escalation
in plain text and HTML, their headers and calendar; the reasons an address
is refused; whom a row with no recipient is reported for."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from email.headerregistry import Address

import pytest

from notifications.digest import (
    Contact,
    DigestOptions,
    Directory,
    Envelope,
    InvalidAddress,
    OutgoingMessage,
    PartyContacts,
    PlanContacts,
    Skipped,
    build_digests,
    make_address,
    parse_sender,
    render_envelope,
    validate_address,
)
from roadmap.i18n import set_language
from roadmap.indicators import MissingValue
from roadmap.status import Status
from tests.reminders.test_digest import NOW, OPTIONS, TODAY, parse, row


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def ahead(days: int) -> date:
    return TODAY + timedelta(days=days)


IMCRO = PartyContacts("МКУ ИМЦРО", (Contact("ИМЦРО", "shared@example.org"),))
PLANS = {
    "p": PlanContacts(
        "p", "План наставничества", "Asia/Irkutsk", Contact("Координатор", "boss@example.org"),
        {
            "imcro": IMCRO,
            "dept": PartyContacts("Департамент", (Contact(None, "Shared@Example.org"),)),
            "oo": PartyContacts("ОО", (), None, "reg"),
        },
    ),
    "q": PlanContacts("q", "Второй план", "Asia/Irkutsk", None, {"imcro": IMCRO}),
}
SCHOOLS = tuple(f"s{i}" for i in range(1, 12))
DIRECTORY = Directory(
    plans=PLANS,
    curators={("reg", "s1"): Contact("Иванова", "s1@example.org")},
    sequences={1: 3},
    missing={
        3: [MissingValue("p", "share", "Доля педагогов", 2024, SCHOOLS, 12),
            MissingValue("p", "mentors", "Число наставников", 2023, SCHOOLS[:10], 10)],
        6: [MissingValue("p", "share", "Доля педагогов", 2024, ("s1",), 3)],
    },
)
ROWS = [
    row("1.1", ago(30), Status.OVERDUE, result="Положение", occurrence_id=1),
    row("1.2", ago(31), Status.OVERDUE, result="Приказ", occurrence_id=2,
        party="dept", party_name="Департамент"),
    row("1.3", TODAY, Status.DUE_SOON, occurrence_id=3),
    row("1.4", ahead(14), Status.UPCOMING, occurrence_id=4, number="1.4.1"),
    row("1.5", ahead(15), Status.UPCOMING, occurrence_id=5),  # beyond the look-ahead
    row("2.1", ago(8), Status.OVERDUE, party="oo", party_name="ОО", org="s1",
        org_name="Школа № 1", occurrence_id=6),
    row("1.6", None, Status.ON_DEMAND, occurrence_id=7),
    row("3.1", ago(2), Status.OVERDUE, plan="q", occurrence_id=8),
    row("1.7", ahead(3), Status.DONE, occurrence_id=9),  # done: never mailed
]
BASE = "https://roadmap.example.org/RX/"
LINKED = replace(OPTIONS, base_url=BASE,
                 reply_to=Address("Координатор", addr_spec="boss@example.org"))
HOW = ("Отметить выполнение и приложить документ: ссылка у каждого пункта (страница "
       "откроется после вашей личной ссылки от координатора). Сроки — в приложенном "
       "календаре roadmap.ics. Это письмо отправлено автоматически, один раз в день; "
       "отвечать на него не нужно.")


def messages(options: DigestOptions = LINKED) -> dict[str, OutgoingMessage]:
    return {m.key: m for m in build_digests(ROWS, DIRECTORY, options, NOW).messages}


def plain(m: OutgoingMessage) -> str:
    return parse(m.message).get_body(("plain",)).get_content()  # type: ignore[union-attr]


def html(m: OutgoingMessage) -> str:
    return parse(m.message).get_body(("html",)).get_content()  # type: ignore[union-attr]


def calendar(m: OutgoingMessage) -> list[str]:
    """The attached calendar's lines, unfolded."""
    parts = [p for p in parse(m.message).iter_attachments()
             if p.get_content_type() == "text/calendar"]
    if not parts:
        return []
    text = parts[0].get_content().replace("\r\n", "\n").replace("\n ", "")
    return text.splitlines()


SHARED = "digest/2024-03-01/Asia/Irkutsk/shared@example.org"
SCHOOL = "digest/2024-03-01/Asia/Irkutsk/s1@example.org"
BOSS = "escalation/2024-03-01/Asia/Irkutsk/boss@example.org"


def test_who_gets_which_message_with_what_counts() -> None:
    found = messages()
    assert [(m.kind, m.recipient, m.local_date, m.zone, m.subject, m.overdue, m.due_soon)
            for m in found.values()] == [
        ("digest", "s1@example.org", TODAY, "Asia/Irkutsk",
         "Дорожная карта: просрочено 1, скоро срок 0 — Школа № 1", 1, 0),
        ("digest", "Shared@Example.org", TODAY, "Asia/Irkutsk",
         "Дорожная карта: просрочено 3, скоро срок 2 — Департамент, МКУ ИМЦРО", 3, 2),
        ("escalation", "boss@example.org", TODAY, "Asia/Irkutsk",
         "Дорожная карта: эскалация — просрочено более 7 дн.: 3 (исполнителей: 3)", 3, 0),
    ]
    assert list(found) == [SCHOOL, SHARED, BOSS]


def test_the_digest_of_several_parties_reads_as_written() -> None:
    assert plain(messages()[SHARED]) == f"""\
Здравствуйте, ИМЦРО!

Сроки дорожных карт на 01.03.2024 (Asia/Irkutsk) для: Департамент, МКУ ИМЦРО.

Просрочено (2)

План наставничества [p]
  • 1.1 Мероприятие 1.1
      Срок: 31.01.2024 — просрочено на 30 дн.
      Ожидаемый результат: Положение
      Исполнитель: МКУ ИМЦРО
      Отметить выполнение: {BASE}#occ-1
Второй план [q]
  • 3.1 Мероприятие 3.1
      Срок: 28.02.2024 — просрочено на 2 дн.
      Исполнитель: МКУ ИМЦРО
      Отметить выполнение: {BASE}#occ-8

Скоро срок — в ближайшие 14 дн. (2)

План наставничества [p]
  • 1.3 Мероприятие 1.3
      Срок: 01.03.2024 — срок сегодня
      Исполнитель: МКУ ИМЦРО
      Не сообщено значение: Доля педагогов (2024): нет от 11 из 12 — s1, s2, s3, s4, s5, s6, s7, s8, s9, s10 и ещё 1
      Не сообщено значение: Число наставников (2023): нет от 10 из 10 — s1, s2, s3, s4, s5, s6, s7, s8, s9, s10
      Отметить выполнение: {BASE}#occ-3
  • 1.4.1 Мероприятие 1.4
      Срок: 15.03.2024 — осталось 14 дн.
      Исполнитель: МКУ ИМЦРО
      Отметить выполнение: {BASE}#occ-4

Давно просрочено — более 30 дн. (1)

План наставничества [p]
  • 1.2 Мероприятие 1.2 — 30.01.2024 — просрочено на 31 дн.
      Исполнитель: Департамент
      Отметить выполнение: {BASE}#occ-2

* По мере необходимости (без срока):
  – 1.6 Мероприятие 1.6 [p]

{HOW}
"""


def test_the_digest_in_html_reads_as_written() -> None:
    link = '<a href="https://roadmap.example.org/RX/#occ-{}">отметить выполнение</a>'
    assert html(messages()[SHARED]).split("\n") == [
        '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif">',
        "<p>Здравствуйте, ИМЦРО!</p>",
        "<p>Сроки дорожных карт на 01.03.2024 (Asia/Irkutsk) для: Департамент, МКУ ИМЦРО.</p>",
        "<h3>Просрочено (2)</h3>",
        "<p><b>План наставничества</b> [p]</p><ul>",
        f"<li>1.1 Мероприятие 1.1 — {link.format(1)}<br>Срок: 31.01.2024 — просрочено на 30 дн."
        "<br>Ожидаемый результат: Положение<br>Исполнитель: МКУ ИМЦРО</li>",
        "</ul>",
        "<p><b>Второй план</b> [q]</p><ul>",
        f"<li>3.1 Мероприятие 3.1 — {link.format(8)}<br>Срок: 28.02.2024 — просрочено на 2 дн."
        "<br>Исполнитель: МКУ ИМЦРО</li>",
        "</ul>",
        "<h3>Скоро срок — в ближайшие 14 дн. (2)</h3>",
        "<p><b>План наставничества</b> [p]</p><ul>",
        f"<li>1.3 Мероприятие 1.3 — {link.format(3)}<br>Срок: 01.03.2024 — срок сегодня"
        "<br>Исполнитель: МКУ ИМЦРО<br>Не сообщено значение: Доля педагогов (2024): нет от 11 "
        "из 12 — s1, s2, s3, s4, s5, s6, s7, s8, s9, s10 и ещё 1<br>Не сообщено значение: "
        "Число наставников (2023): нет от 10 из 10 — s1, s2, s3, s4, s5, s6, s7, s8, s9, s10</li>",
        f"<li>1.4.1 Мероприятие 1.4 — {link.format(4)}<br>Срок: 15.03.2024 — осталось 14 дн."
        "<br>Исполнитель: МКУ ИМЦРО</li>",
        "</ul>",
        "<h3>Давно просрочено — более 30 дн. (1)</h3>",
        "<p><b>План наставничества</b> [p]</p><ul>",
        f"<li>1.2 Мероприятие 1.2 — 30.01.2024 — просрочено на 31 дн. — {link.format(2)}"
        "<br>Исполнитель: Департамент</li>",
        "</ul>",
        "<p><small>* По мере необходимости (без срока):</small></p><ul>",
        "<li><small>1.6 Мероприятие 1.6 [p]</small></li>",
        "</ul>",
        f"<p><small>{HOW}</small></p></body></html>",
    ]


def test_a_school_digest_names_no_schools_and_no_performer() -> None:
    assert plain(messages()[SCHOOL]) == f"""\
Здравствуйте, Иванова!

Сроки дорожных карт на 01.03.2024 (Asia/Irkutsk) для: Школа № 1.

Просрочено (1)

План наставничества [p]
  • 2.1 Мероприятие 2.1
      Срок: 22.02.2024 — просрочено на 8 дн.
      Не сообщено значение: Доля педагогов (2024)
      Отметить выполнение: {BASE}#occ-6

{HOW}
"""


def test_the_escalation_reads_as_written_worst_first_without_item_links() -> None:
    m = messages()[BOSS]
    assert plain(m) == f"""\
Здравствуйте, Координатор!

На 01.03.2024 (Asia/Irkutsk) эти сроки просрочены более чем на 7 дн. Ниже — по исполнителям.

Департамент (1)

План наставничества [p]
  • 1.2 Мероприятие 1.2 — 30.01.2024 — просрочено на 31 дн.

МКУ ИМЦРО (1)

План наставничества [p]
  • 1.1 Мероприятие 1.1
      Срок: 31.01.2024 — просрочено на 30 дн.
      Ожидаемый результат: Положение

Школа № 1 (куратор: Иванова, s1@example.org) (1)

План наставничества [p]
  • 2.1 Мероприятие 2.1
      Срок: 22.02.2024 — просрочено на 8 дн.
      Не сообщено значение: Доля педагогов (2024)

Сводка по плану p: {BASE}plan/p

Это письмо отправлено автоматически, не чаще раза в день.
"""
    assert html(m).split("\n") == [
        '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif">',
        "<p>Здравствуйте, Координатор!</p>",
        "<p>На 01.03.2024 (Asia/Irkutsk) эти сроки просрочены более чем на 7 дн. "
        "Ниже — по исполнителям.</p>",
        "<h3>Департамент (1)</h3>",
        "<p><b>План наставничества</b> [p]</p><ul>",
        "<li>1.2 Мероприятие 1.2 — 30.01.2024 — просрочено на 31 дн.</li>",
        "</ul>",
        "<h3>МКУ ИМЦРО (1)</h3>",
        "<p><b>План наставничества</b> [p]</p><ul>",
        "<li>1.1 Мероприятие 1.1<br>Срок: 31.01.2024 — просрочено на 30 дн.<br>"
        "Ожидаемый результат: Положение</li>",
        "</ul>",
        "<h3>Школа № 1 (куратор: Иванова, s1@example.org) (1)</h3>",
        "<p><b>План наставничества</b> [p]</p><ul>",
        "<li>2.1 Мероприятие 2.1<br>Срок: 22.02.2024 — просрочено на 8 дн.<br>"
        "Не сообщено значение: Доля педагогов (2024)</li>",
        "</ul>",
        f"<p>Сводка по плану p: {BASE}plan/p</p>",
        "<p><small>Это письмо отправлено автоматически, не чаще раза в день.</small></p>"
        "</body></html>",
    ]


def test_headers_as_the_relay_receives_them() -> None:
    m = messages()[SHARED]
    head = m.message.split(b"\r\n\r\n", 1)[0].decode("ascii")
    names = [line.split(":", 1)[0] for line in head.split("\r\n") if not line.startswith(" ")]
    assert names == ["From", "To", "Reply-To", "Subject", "Date", "Message-ID",
                     "Auto-Submitted", "X-Auto-Response-Suppress", "MIME-Version",
                     "Content-Type"]
    message = parse(m.message)
    assert str(message["From"]) == "Дорожная карта <roadmap@example.org>"
    assert str(message["To"]) == "ИМЦРО <Shared@Example.org>"
    assert str(message["Reply-To"]) == "Координатор <boss@example.org>"
    assert message["Subject"] == m.subject
    assert parse(messages()[BOSS].message)["Subject"] == messages()[BOSS].subject
    assert message["Date"] == "Fri, 01 Mar 2024 00:30:00 +0000"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    # The same message built again (later that day) has the same Message-ID;
    # another recipient's has another; both in the sender's domain.
    again = build_digests(ROWS, DIRECTORY, LINKED, NOW + timedelta(hours=3)).messages
    ids = {parse(x.message)["Message-ID"] for x in again}
    assert message["Message-ID"] in ids and len(ids) == 3
    assert all(i.endswith("@example.org>") for i in ids)
    # Without a Reply-To setting there is none.
    bare = parse(messages(OPTIONS)[SHARED].message)
    assert "Reply-To" not in bare and str(bare["To"]) == "ИМЦРО <Shared@Example.org>"


def test_the_attached_calendar_holds_what_is_ahead_or_just_missed() -> None:
    found = messages()
    lines = calendar(found[SHARED])
    assert [x for x in lines if x.startswith(("SUMMARY:", "SEQUENCE:", "DTSTART"))] == [
        "DTSTART;VALUE=DATE:20240131", "SUMMARY:[просрочено] Мероприятие 1.1", "SEQUENCE:3",
        "DTSTART;VALUE=DATE:20240228", "SUMMARY:[просрочено] Мероприятие 3.1", "SEQUENCE:0",
        "DTSTART;VALUE=DATE:20240301", "SUMMARY:Мероприятие 1.3", "SEQUENCE:0",
        "DTSTART;VALUE=DATE:20240315", "SUMMARY:Мероприятие 1.4", "SEQUENCE:0",
    ]
    assert "X-WR-CALNAME:Сроки дорожных карт" in lines
    assert "X-WR-CALDESC:Просроченные и ближайшие сроки из письма-напоминания" in lines
    # Brief: the deadline's text, the plan and item, who, the status; no categories.
    assert ("DESCRIPTION:Срок по плану: —\\nПлан: p\\, пункт 1.1\\nИсполнитель: МКУ ИМЦРО"
            "\\nСтатус: просрочено") in lines
    assert not [x for x in lines if x.startswith("CATEGORIES")]
    # Each calendar has a UID of its own.
    uids = {next(x for x in calendar(m) if x.startswith("UID:")) for m in found.values()}
    assert len(uids) == 3 and all(u.endswith("@roadmap") for u in uids)
    # The escalation's calendar: the items shown, not the long overdue.
    assert [x for x in calendar(found[BOSS]) if x.startswith("SUMMARY:")] == [
        "SUMMARY:[просрочено] Мероприятие 1.1", "SUMMARY:[просрочено] Мероприятие 2.1"]


def test_without_a_base_url_the_digest_says_whom_to_ask() -> None:
    text = plain(messages(OPTIONS)[SCHOOL])
    assert text.endswith(
        "      Не сообщено значение: Доля педагогов (2024)\n\n"
        "Чтобы отметить выполнение, попросите у координатора личную ссылку на страницу "
        "организации (roadmap link create) или сообщите ему о выполнении с документом. "
        "Сроки — в приложенном календаре roadmap.ics. Это письмо отправлено автоматически, "
        "один раз в день; отвечать на него не нужно.\n")
    body = html(messages(OPTIONS)[SCHOOL])
    assert "<li>2.1 Мероприятие 2.1<br>Срок: 22.02.2024 — просрочено на 8 дн." in body
    assert "Сводка по плану" not in plain(messages(OPTIONS)[BOSS])


def test_english_digest_and_escalation() -> None:
    set_language("en")
    found = messages()
    text = plain(found[SHARED])
    for line in ("Due: 31.01.2024 — overdue by 30 days", "Due: 01.03.2024 — due today",
                 "Due: 15.03.2024 — 14 days left", "Due soon — within the next 14 days (2)",
                 "Long overdue — more than 30 days (1)"):
        assert line in text, line
    assert found[BOSS].subject == "Road map: escalation — overdue by more than 7 days: 3 (assignees: 3)"
    one = [row("9.1", ago(1), Status.OVERDUE), row("9.2", ahead(1), Status.DUE_SOON)]
    [digest] = build_digests(one, DIRECTORY, OPTIONS, NOW).messages
    assert "overdue by 1 day\n" in plain(digest) and "1 day left\n" in plain(digest)


def test_long_texts_are_clipped_where_the_reader_sees_them() -> None:
    long_row = row("1.1", ago(10), Status.OVERDUE, number="1.1.1.1.1.1.1.1.1.1.1.1",
                   activity="а" * 500, result="р" * 500)
    stale = row("1.2", ago(40), Status.OVERDUE, activity="б" * 500)
    plans = {"p": replace(PLANS["p"], title="П" * 200)}
    missing = {long_row.occurrence_id: [MissingValue("p", "x", "Д" * 200, 2024, ("s1",), 1)]}
    [digest] = [m for m in build_digests([long_row, stale], Directory(plans, missing=missing),
                                         OPTIONS, NOW).messages if m.kind == "digest"]
    text = plain(digest)
    assert f"  • 1.1.1.1.1.1.1.1.1.1… {'а' * 399}…\n" in text
    assert f"      Ожидаемый результат: {'р' * 399}…\n" in text
    assert f"  • 1.2 {'б' * 159}… — 21.01.2024 — просрочено на 40 дн.\n" in text
    assert f"\n{'П' * 119}… [p]\n" in text
    assert f"      Не сообщено значение: {'Д' * 159}… (2024): нет от 1 из 1 — s1\n" in text
    assert f"<p><b>{'П' * 119}…</b> [p]</p>" in html(digest)


def test_many_parties_in_one_subject_are_clipped() -> None:
    names = [f"Организация номер {i}" for i in range(1, 6)]
    parties = {f"o{i}": PartyContacts(n, (Contact(None, "all@example.org"),))
               for i, n in enumerate(names)}
    rows = [row(f"1.{i}", ago(1), Status.OVERDUE, party=f"o{i}", party_name=n)
            for i, n in enumerate(names)]
    [m] = build_digests(rows, Directory({"p": replace(PLANS["p"], parties=parties)}),
                        OPTIONS, NOW).messages
    who = ("Организация номер 1, Организация номер 2, Организация номер 3, Организация "
           "номе…")
    assert m.subject == f"Дорожная карта: просрочено 5, скоро срок 0 — {who}"
    assert f"для: {who}." in plain(m)
    assert plain(m).startswith("Здравствуйте!\n")
    assert str(parse(m.message)["To"]) == "all@example.org"


def test_escalation_ties_are_ordered_by_name_and_twenty_are_detailed() -> None:
    rows = [row(f"{i}.1", ago(10), Status.OVERDUE, party="oo", party_name="ОО",
                org=f"s{i:02}", org_name=f"Школа {i:02}", occurrence_id=i)
            for i in range(20, 0, -1)]
    [boss] = [m for m in build_digests(rows, Directory(PLANS), OPTIONS, NOW).messages]
    text = plain(boss)
    headings = [line for line in text.splitlines() if line.startswith("Школа")]
    assert headings == [f"Школа {i:02} (1)" for i in range(1, 21)]
    assert "Ещё просрочили" not in text
    [boss] = build_digests(
        [*rows, row("21.1", ago(9), Status.OVERDUE, party="oo", party_name="ОО", org="s21",
                    org_name="Школа 21", occurrence_id=21)],
        Directory(PLANS), OPTIONS, NOW).messages
    assert plain(boss).endswith(
        "Ещё просрочили (1):\n  – Школа 21 — просрочено: 1, до 9 дн.\n\n"
        "Это письмо отправлено автоматически, не чаще раза в день.\n")


# ---------------------------------------------------------------- who is not mailed


def test_rows_nobody_can_be_mailed_about_are_reported() -> None:
    shared_bad = Contact("Куратор", "curator@school..example.org")
    directory = Directory(
        plans={
            "p": PlanContacts("p", "План", "Asia/Irkutsk", Contact("Координатор", "boss@bad"), {
                "imcro": PartyContacts("МКУ ИМЦРО", ()),
                "oo": PartyContacts("ОО", (), None, "reg"),
                "dept": PartyContacts("Департамент", (shared_bad,)),
            }),
        },
        curators={("reg", "s1"): shared_bad, ("reg", "s2"): shared_bad,
                  ("reg", "s3"): Contact("Без адреса", None),
                  ("reg", "s4"): Contact("Тоже без адреса", " "),
                  ("reg", "s5"): Contact("И этот", None)},
    )
    rows = [
        row("0.1", ahead(60), Status.UPCOMING),  # quiet rows first: the rest still count
        row("1.1", ago(7), Status.OVERDUE),  # imcro: no contacts; not yet escalated
        row("1.2", ago(3), Status.OVERDUE, party="oo", party_name="ОО", org="s2",
            org_name="Школа № 2"),
        row("1.3", ago(3), Status.OVERDUE, party="oo", party_name="ОО", org="s1",
            org_name="Школа № 1"),
        row("1.4", ago(9), Status.OVERDUE, party="oo", party_name="ОО", org="s3",
            org_name="Школа № 3"),
        row("1.5", ago(3), Status.OVERDUE, party="oo", party_name="ОО", org="s4",
            org_name="Школа № 4"),
        row("1.8", ago(3), Status.OVERDUE, party="oo", party_name="ОО", org="s5",
            org_name="Школа № 5"),
        row("1.6", ahead(60), Status.UPCOMING, party="dept", party_name="Департамент"),
        row("1.7", ago(1), Status.OVERDUE, plan="gone", party="x", party_name="Исчезнувшая"),
    ]
    batch = build_digests(rows, directory, OPTIONS, NOW)
    assert batch.messages == []
    day = TODAY
    assert batch.skipped == [
        Skipped("digest", day, "Asia/Irkutsk", "МКУ ИМЦРО", None, "нет адреса получателя"),
        Skipped("digest", day, "UTC", "Исчезнувшая", None, "нет адреса получателя"),
        Skipped("digest", day, "Asia/Irkutsk", "Школа № 4", " ", "адрес не указан"),
        Skipped("digest", day, "Asia/Irkutsk", "Школа № 3", None, "адрес не указан"),
        Skipped("digest", day, "Asia/Irkutsk", "Школа № 5", None, "адрес не указан"),
        Skipped("digest", day, "Asia/Irkutsk", "Школа № 1, Школа № 2",
                "curator@school..example.org",
                "адрес «curator@school..example.org»: недопустимый домен"),
        Skipped("escalation", day, "Asia/Irkutsk", "Школа № 3", "boss@bad",
                "адрес «boss@bad»: недопустимый домен"),
    ]
    assert [s.key for s in batch.skipped][2:] == [
        "digest/2024-03-01/Asia/Irkutsk/ ",
        "digest/2024-03-01/Asia/Irkutsk/<школа № 3>",
        "digest/2024-03-01/Asia/Irkutsk/<школа № 5>",
        "digest/2024-03-01/Asia/Irkutsk/curator@school..example.org",
        "escalation/2024-03-01/Asia/Irkutsk/boss@bad",
    ]


def test_a_skipped_address_names_whom_it_was_for_clipped() -> None:
    bad = Contact(None, "no-domain")
    names = [f"Муниципальное общеобразовательное учреждение № {i}" for i in (1, 2)]
    directory = Directory(plans={"p": replace(
        PLANS["p"], parties={"a": PartyContacts(names[0], (bad,)),
                             "b": PartyContacts(names[1], (bad,))})})
    rows = [row("1.1", ago(1), Status.OVERDUE, party="a", party_name=names[0]),
            row("1.2", ago(1), Status.OVERDUE, party="b", party_name=names[1])]
    [skipped] = build_digests(rows, directory, OPTIONS, NOW).skipped
    assert skipped.who == (
        "Муниципальное общеобразовательное учреждение № 1, Муниципальное общеобразовател…")
    assert skipped.reason == "адрес «no-domain»: нужен ровно один знак @"


def test_the_same_address_gets_the_same_spelling_and_name_in_any_order() -> None:
    contacts = [Contact("Иванова", "ivanova@example.org"), Contact("Анна", "Ivanova@Example.org"),
                Contact(None, " ivanova@example.org ")]
    for order in (contacts, contacts[::-1]):
        parties = {"imcro": PartyContacts("МКУ ИМЦРО", tuple(order))}
        [m] = build_digests([row("1.1", ago(1), Status.OVERDUE)],
                            Directory({"p": replace(PLANS["p"], parties=parties)}),
                            OPTIONS, NOW).messages
        assert str(parse(m.message)["To"]) == "Анна <Ivanova@Example.org>"
        assert plain(m).startswith("Здравствуйте, Анна!\n")


def test_escalation_starts_after_the_seventh_day_late() -> None:
    rows = [row("1.1", ago(7), Status.OVERDUE), row("1.2", ahead(2), Status.DUE_SOON)]
    kinds = [m.kind for m in build_digests(rows, Directory(PLANS), OPTIONS, NOW).messages]
    assert kinds == ["digest"]
    rows = [row("1.1", ago(8), Status.OVERDUE)]
    kinds = [m.kind for m in build_digests(rows, Directory(PLANS), OPTIONS, NOW).messages]
    assert kinds == ["digest", "escalation"]


def test_a_stored_key_skips_only_its_own_message() -> None:
    keys = {"digest/2024-03-01/Asia/Irkutsk/s1@example.org"}
    built = build_digests(ROWS, DIRECTORY, OPTIONS, NOW, skip_keys=keys).messages
    assert [m.key for m in built] == [SHARED, BOSS]


def test_a_directory_without_the_plan_or_party_answers_nobody() -> None:
    unknown_plan = row("1.1", ago(10), Status.OVERDUE, plan="gone", org="s1")
    unknown_party = row("1.1", ago(10), Status.OVERDUE, party="gone", org="s1")
    directory = Directory(PLANS, curators={("", "s1"): Contact("К", "k@example.org")})
    assert directory.recipients_for(unknown_plan) == []
    assert directory.escalations_for(unknown_plan) == []
    assert directory.curator_of(unknown_plan) is None
    assert directory.curator_of(unknown_party) is None
    assert directory.zone_of(unknown_plan) == "UTC"
    assert directory.title_of("gone") == "gone"
    assert directory.escalations_for(unknown_party) == [Contact("Координатор", "boss@example.org")]


# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (None, "адрес не указан"),
        ("", "адрес не указан"),
        ("   ", "адрес не указан"),
        ("a\x00b@example.org",
         "адрес «a\\x00b@example.org» содержит пробелы или управляющие символы"),
        ("with space@example.org",
         "адрес «with space@example.org» содержит пробелы или управляющие символы"),
        ("two@at@example.org", "адрес «two@at@example.org»: нужен ровно один знак @"),
        ("a" * 65 + "@example.org", f"адрес «{'a' * 65}@example.org»: недопустимая часть до @"),
        ("a.@example.org", "адрес «a.@example.org»: недопустимая часть до @"),
        (".a@example.org", "адрес «.a@example.org»: недопустимая часть до @"),
        ("кириллица@example.org", "адрес «\\u043a\\u0438\\u0440\\u0438\\u043b\\u043b\\u0438"
         "\\u0446\\u0430@example.org»: недопустимая часть до @"),
        ("curator@school-3..example.org", "адрес «curator@school-3..example.org»: недопустимый домен"),
        ("root@localhost", "адрес «root@localhost»: недопустимый домен"),
        ("x@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 62,
         f"адрес «x@{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 62}»: недопустимый домен"),
    ],
)
def test_a_refused_address_says_why(address: str | None, reason: str) -> None:
    with pytest.raises(InvalidAddress) as err:
        validate_address(address)
    assert str(err.value) == reason


@pytest.mark.parametrize(
    "address",
    ["a" * 64 + "@example.org", "x@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61],
)
def test_the_longest_addresses_allowed(address: str) -> None:
    assert validate_address(address) == address


def test_parse_sender_and_make_address() -> None:
    def shown(a: Address) -> tuple[str, str]:
        return a.display_name, a.addr_spec

    assert shown(parse_sender("Дорожная карта <roadmap@example.org>", "Имя")) == (
        "Дорожная карта", "roadmap@example.org")
    assert shown(parse_sender("roadmap@example.org", "Имя")) == ("Имя", "roadmap@example.org")
    assert shown(parse_sender("roadmap@localhost", "Имя")) == ("Имя", "roadmap@localhost")
    assert shown(parse_sender("Почта\r\n <roadmap@LOCALHOST>", "Имя")) == (
        "Почта", "roadmap@LOCALHOST")
    assert shown(make_address("Иванова\r\nBcc: x", " ivanova@example.org")) == (
        "Иванова Bcc: x", "ivanova@example.org")
    for value, reason in [
        ("", "адрес отправителя «» не разбирается"),
        ("roadmap@intranet", "адрес «roadmap@intranet»: недопустимый домен"),
        ("@localhost", "адрес «@localhost»: недопустимая часть до @"),
    ]:
        with pytest.raises(InvalidAddress) as err:
            parse_sender(value, "Имя")
        assert str(err.value) == reason, value


def test_contacts_from_the_database() -> None:
    assert Contact.from_json({"name": "Иванова", "email": "i@example.org"}) == Contact(
        "Иванова", "i@example.org")
    assert Contact.from_json({"name": 5, "email": ["x"]}) == Contact(None, None)
    assert Contact.from_json({"email": "i@example.org"}) == Contact(None, "i@example.org")
    assert Contact.from_json(None) is None
    assert Contact.from_json("i@example.org") is None


def test_a_message_rendered_later_keeps_only_what_belongs_in_it() -> None:
    """The outbox renders a message when it sends it, from the recipient's
    open items of that day: an escalation keeps the items more than 7 days
    late, a digest the overdue, the due soon and the on-demand ones."""
    rows = [row("1.1", ago(7), Status.OVERDUE), row("1.2", ago(8), Status.OVERDUE),
            row("1.3", ahead(2), Status.DUE_SOON), row("1.4", None, Status.ON_DEMAND),
            row("1.5", ahead(3), Status.DONE)]
    boss = Envelope("escalation", TODAY, "Asia/Irkutsk", "boss@example.org")
    m = render_envelope(boss, rows, DIRECTORY, OPTIONS, NOW)
    assert m is not None and (m.key, m.overdue, m.local_date, m.zone) == (
        "escalation/2024-03-01/Asia/Irkutsk/boss@example.org", 1, TODAY, "Asia/Irkutsk")
    assert "Мероприятие 1.2" in plain(m) and "Мероприятие 1.1" not in plain(m)
    assert plain(m).startswith("Здравствуйте!\n\nНа 01.03.2024 (Asia/Irkutsk) ")
    digest = Envelope("digest", TODAY, "Asia/Irkutsk", "shared@example.org")
    m = render_envelope(digest, rows, DIRECTORY, OPTIONS, NOW)
    assert m is not None and (m.overdue, m.due_soon) == (2, 1)
    text = plain(m)
    assert text.startswith("Здравствуйте!\n\nСроки дорожных карт на 01.03.2024 (Asia/Irkutsk) ")
    assert "  – 1.4 Мероприятие 1.4 [p]\n" in text and "1.5" not in text
    assert render_envelope(boss, rows[2:], DIRECTORY, OPTIONS, NOW) is None
