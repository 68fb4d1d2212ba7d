"""The curator's page and the coordinator's dashboard over HTTP: marking
done with files or a URL, «ещё раз», reopening with a reason, the name
asked once, limits, escaping, scope, and evidence downloads."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from roadmap.app import App
from roadmap.storage.tables import CompletionRow
from roadmap.web.access import csrf_token
from tests.fixtures import MakeApp
from tests.web.conftest import HOSTILE, TODAY, LinkMaker, open_link

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def occurrence_of(html: str, task: str, org: str = "", status: str | None = None) -> int:
    """The id of the first item of ``task`` (and ``org``) on a page."""
    for match in re.finditer(r'<li id="occ-(\d+)"[^>]*data-task="([^"]*)" data-org="([^"]*)"'
                             r' data-due="[^"]*" data-status="([^"]*)"', html):
        if match[2] == task and match[3] == org and (status is None or match[4] == status):
            return int(match[1])
    raise AssertionError(f"no item {task}/{org}/{status}")


def statuses(html: str) -> dict[int, str]:
    return {int(m[1]): m[2] for m in re.finditer(
        r'<li id="occ-(\d+)"[^>]*data-status="([^"]*)"', html)}


async def page(client: TestClient, path: str = "/") -> str:
    response = await client.get(path)
    assert response.status == 200, (path, response.status)
    return await response.text()


def done_form(csrf: str, occurrence: int, *, files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
              url: str = "", note: str = "", by: str | None = None,
              again: bool = False) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)  # as browsers send names: raw UTF-8
    form.add_field("csrf", csrf)
    form.add_field("occurrence", str(occurrence))
    if again:
        form.add_field("again", "1")
    if by is not None:
        form.add_field("by", by)
    for name, content in files:
        form.add_field("evidence", content, filename=name, content_type="application/pdf")
    form.add_field("url", url)
    form.add_field("note", note)
    form.add_field("done", "1")
    return form


def completions(app: App) -> int:
    with app.sessions() as session:
        return session.scalar(select(func.count()).select_from(CompletionRow)) or 0


async def test_curator_marks_done_with_a_file_and_the_coordinator_sees_it(
    client: TestClient, other_client: TestClient, make_link: LinkMaker, app: App
) -> None:
    await open_link(client, make_link("--org", "school-1", "--plan", "test-irk")["path"])
    html = await page(client)
    assert html.index('id="st-overdue"') < html.index('id="st-due-soon"') < html.index(
        'id="st-upcoming"') < html.index('id="st-done"')
    overdue = occurrence_of(html, "1.8", "school-1", "overdue")
    assert 'name="by"' in html  # the name is asked …
    csrf = CSRF.search(html)[1]  # type: ignore[index]
    content = "Приказ № 5 от 10.01.2024".encode() * 100
    response = await client.post("/done", data=done_form(
        csrf, overdue, files=[("Приказ о кураторе.pdf", content)], note="утверждён", by="Иванова И. И."
    ), allow_redirects=False)
    assert response.status == 303, await response.text()
    assert response.headers["Location"].startswith("/?ok=done")
    after = await page(client, "/?ok=done")
    assert statuses(after)[overdue] == "done"
    assert "Отметка сохранена" in after and "Иванова И. И." in after
    assert "Приказ о кураторе.pdf" in after and "утверждён" in after
    assert 'name="by"' not in after  # … once per session

    # the coordinator of the region: the matrix of the child plan, the cell, the file
    await open_link(other_client, make_link("--plan", "test-region")["path"])
    region = await page(other_client, "/plan/test-region")
    assert 'href="/plan/test-irk"' in region
    matrix = await page(other_client, "/plan/test-irk")
    cell = re.search(r'<td class="c st-done" data-task="1.8" data-org="school-1"[^>]*>'
                     r'<a href="([^"]+)"[^>]*>✓</a>', matrix)
    assert cell is not None
    detail = await page(other_client, cell[1].replace("&amp;", "&"))
    assert "Иванова И. И." in detail and "утверждён" in detail
    link = re.search(r'href="(/evidence/\d+)"[^>]*>Приказ о кураторе.pdf<', detail)
    assert link is not None
    download = await other_client.get(link[1])
    assert download.status == 200 and await download.read() == content
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D0%9F%D1%80%D0%B8%D0%BA%D0%B0%D0%B7" in disposition
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


async def test_again_reopen_and_url(client: TestClient, make_link: LinkMaker) -> None:
    await open_link(client, make_link("--org", "school-2", "--plan", "test-irk")["path"])
    html = await page(client)
    csrf = CSRF.search(html)[1]  # type: ignore[index]
    item = occurrence_of(html, "1.7", "school-2")
    ok = await client.post("/done", data=done_form(csrf, item, url="https://school2.example.ru/doc",
                                                   by="Петров"), allow_redirects=False)
    assert ok.status == 303
    # a second completion needs «ещё раз»
    twice = await client.post("/done", data=done_form(csrf, item, url="https://x.example.ru/2"))
    assert twice.status == 400 and "уже отмечено" in await twice.text()
    again = await client.post("/done", data=done_form(csrf, item, url="https://x.example.ru/2",
                                                      again=True), allow_redirects=False)
    assert again.status == 303
    # reopening needs a reason
    no_reason = await client.post("/reopen", data={"csrf": csrf, "occurrence": str(item),
                                                   "reason": " "})
    assert no_reason.status == 400 and "причину" in await no_reason.text()
    reopened = await client.post("/reopen", data={"csrf": csrf, "occurrence": str(item),
                                                  "reason": "не тот документ"},
                                 allow_redirects=False)
    assert reopened.status == 303
    html = await page(client)
    assert statuses(html)[item] != "done"
    history = html[html.index(f'id="occ-{item}"'):]
    history = history[: history.index("</li>\n  \n")] if "</li>\n  \n" in history else history
    assert "не тот документ" in history and "https://x.example.ru/2" in history
    assert "https://school2.example.ru/doc" in history  # superseded, still in history


async def test_several_files_are_kept_together(client: TestClient, make_link: LinkMaker,
                                               app: App) -> None:
    await open_link(client, make_link("--org", "school-3", "--plan", "test-irk")["path"])
    html = await page(client)
    csrf = CSRF.search(html)[1]  # type: ignore[index]
    item = occurrence_of(html, "1.1", "school-3", "overdue")
    files = [("приказ.pdf", b"%PDF-1 one"), ("положение.docx", b"PK two"), ("приказ.pdf", b"3")]
    response = await client.post("/done", data=done_form(csrf, item, files=files, by="Сидорова"),
                                 allow_redirects=False)
    assert response.status == 303
    html = await page(client)
    link = re.search(r'href="(/evidence/\d+)"[^>]*>(документы\.zip)<', html)
    assert link is not None
    archive = zipfile.ZipFile(BytesIO(await (await client.get(link[1])).read()))
    assert sorted(archive.namelist()) == ["положение.docx", "приказ (2).pdf", "приказ.pdf"]
    assert archive.read("приказ.pdf") == b"%PDF-1 one"


async def test_refusals_store_nothing(
    client: TestClient, make_link: LinkMaker, app: App, data_dir: Path,
    env: dict[str, str | None], make_app: MakeApp,
) -> None:
    await open_link(client, make_link("--org", "school-1", "--plan", "test-irk")["path"])
    html = await page(client)
    csrf = CSRF.search(html)[1]  # type: ignore[index]
    item = occurrence_of(html, "1.1", "school-1", "overdue")
    evidence = data_dir / "evidence"

    def stored() -> list[Path]:
        return [p for p in evidence.rglob("*") if p.is_file()] if evidence.exists() else []

    forged = await client.post("/done", data=done_form("0" * 64, item,
                                                       files=[("a.pdf", b"x")], by="X"))
    assert forged.status == 403
    missing = await client.post("/done", data={"occurrence": str(item), "url": "https://a.ru"})
    assert missing.status == 403
    nothing = await client.post("/done", data=done_form(csrf, item, by="X"))
    assert nothing.status == 400 and "Приложите файл" in await nothing.text()
    big = b"0" * (int(app.settings["evidence_max_bytes"]) + 1)
    too_big = await client.post("/done", data=done_form(csrf, item, files=[("big.pdf", big)],
                                                        by="X"))
    assert too_big.status == 413
    assert completions(app) == 0 and stored() == []
    assert not [p for p in (data_dir / "uploads").glob("*")] if (data_dir / "uploads").exists() \
        else True


async def test_hostile_text_is_shown_as_text(client: TestClient, make_link: LinkMaker) -> None:
    await open_link(client, make_link("--org", "school-1", "--plan", "test-irk")["path"])
    html = await page(client)
    assert "<script>" not in html and "&lt;script&gt;alert(" in html
    assert "&amp; «кавычки»" in html
    assert HOSTILE not in html


async def test_a_curator_sees_only_their_organisation(
    client: TestClient, other_client: TestClient, make_link: LinkMaker
) -> None:
    await open_link(other_client, make_link("--org", "school-2", "--plan", "test-irk")["path"])
    theirs = await page(other_client)
    csrf2 = CSRF.search(theirs)[1]  # type: ignore[index]
    their_item = occurrence_of(theirs, "1.1", "school-2", "overdue")
    done = await other_client.post("/done", data=done_form(
        csrf2, their_item, files=[("s2.pdf", b"school two")], by="Б"), allow_redirects=False)
    assert done.status == 303
    evidence = re.search(r'href="(/evidence/\d+)"', await page(other_client))
    assert evidence is not None

    await open_link(client, make_link("--org", "school-1", "--plan", "test-irk")["path"])
    mine = await page(client)
    assert "data-org=\"school-2\"" not in mine and "МБОУ СОШ № 2" not in mine
    csrf1 = CSRF.search(mine)[1]  # type: ignore[index]
    assert (await client.get(evidence[1])).status == 404
    steal = await client.post("/done", data=done_form(csrf1, their_item, url="https://a.ru",
                                                      by="A"))
    assert steal.status == 404
    assert (await client.get("/plan/test-irk")).status == 404
    assert (await client.get("/plan/test-irk/report.csv")).status == 404
    assert csrf1 != csrf2 and csrf_token("a") != csrf_token("b")


async def test_a_coordinator_reads_their_plan_and_below_only(
    client: TestClient, make_link: LinkMaker
) -> None:
    await open_link(client, make_link("--plan", "test-irk")["path"])
    home = await client.get("/", allow_redirects=False)
    assert home.status == 303 and home.headers["Location"] == "/plan/test-irk"
    html = await page(client, "/plan/test-irk")
    assert f"{TODAY:%d.%m.%Y}" in html
    assert (await client.get("/plan/test-region")).status == 404
    overdue_only = await page(client, "/plan/test-irk?overdue=1")
    assert 'data-status="upcoming"' not in overdue_only and 'data-status="overdue"' in overdue_only
    one_org = await page(client, "/plan/test-irk?org=school-2")
    assert 'data-org="school-2"' in one_org and 'data-org="school-1"' not in one_org
    csv = await client.get("/plan/test-irk/report.csv")
    assert csv.status == 200 and "attachment" in csv.headers["Content-Disposition"]
    # a coordinator reads; marking done is for curators
    posted = await client.post("/done", data={"csrf": "x", "occurrence": "1"})
    assert posted.status == 404


async def test_a_party_link_marks_its_own_items(client: TestClient, make_link: LinkMaker) -> None:
    await open_link(client, make_link("--party", "imcro", "--plan", "test-irk")["path"])
    html = await page(client)
    assert "МКУ ИМЦРО" in html and 'data-org="school-1"' not in html
    csrf = CSRF.search(html)[1]  # type: ignore[index]
    item = occurrence_of(html, "1.2", "", "overdue")
    response = await client.post("/done", data=done_form(csrf, item, url="https://imcro.example.ru/p",
                                                         by="Методист"), allow_redirects=False)
    assert response.status == 303
    assert statuses(await page(client))[item] == "done"


async def test_dashboard_in_english(client: TestClient, make_link: LinkMaker) -> None:
    await open_link(client, make_link("--plan", "test-irk")["path"])
    html = await page(client, "/plan/test-irk?lang=en")
    assert 'lang="en"' in html and "Overdue only" in html and f"{TODAY.isoformat()}" in html
    assert "Только просроченные" not in html


async def test_exports_open_in_the_programs_people_use(
    client: TestClient, make_link: LinkMaker
) -> None:
    import docx
    import openpyxl

    await open_link(client, make_link("--plan", "test-irk")["path"])
    html = await page(client, "/plan/test-irk")
    assert 'href="/plan/test-irk/report.docx"' in html
    word = await client.get("/plan/test-irk/report.docx")
    assert word.status == 200 and "attachment" in word.headers["Content-Disposition"]
    text = "\n".join(p.text for p in docx.Document(BytesIO(await word.read())).paragraphs)
    assert "План мероприятий (test-irk)" in text
    sheet = await client.get("/plan/test-irk/report.xlsx")
    book = openpyxl.load_workbook(BytesIO(await sheet.read()))
    assert book.sheetnames
