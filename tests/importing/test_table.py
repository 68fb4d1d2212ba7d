"""Reading one grid: header rows, embedded numbers, continuations, parties."""

from __future__ import annotations

from roadmap.importing.parties import KnownParty, PartyResolver, split_parts, transliterate
from roadmap.importing.table import find_layout, join_lines, read_table


def _read(grid: list[list[str | None]]):  # type: ignore[no-untyped-def]
    layout = find_layout(grid)
    assert layout is not None
    return layout, read_table(grid, layout, "t")


def test_numbers_inside_the_activity_cell_without_a_number_column() -> None:
    # Glazov's layout: no «№» column, «1.1. Text» in the activity cell.
    layout, reading = _read([
        ["", "Наименование мероприятий", "Сроки реализации", "Ответственные исполнители"],
        ["", "1. Нормативно-правовое регулирование", None, None],
        ["", "1.1. Информирование школ", "Январь, 2022", "Управление образования"],
        ["", "1.2. Назначение кураторов", "До 01 марта 2022", "ОО"],
    ])
    assert layout.kinds == (None, "activity", "deadline", "responsible")
    section = reading.sections[0]
    assert (section.number, section.title) == ("1.", "Нормативно-правовое регулирование")
    assert [(t.number, t.activity) for t in section.tasks] == [
        ("1.1.", "Информирование школ"), ("1.2.", "Назначение кураторов")
    ]


def test_a_continuation_starting_with_a_number_stays_a_continuation() -> None:
    _layout, reading = _read([
        ["№", "Мероприятие", "Срок", "Результат"],
        ["1", "Семинары", "Ежегодно", "Проведено не менее"],
        ["", "", "", "5 семинаров"],
    ])
    (task,) = reading.sections[0].tasks
    assert task.result == "Проведено не менее 5 семинаров"
    assert reading.continuations == 1


def test_two_header_rows_without_merge_marks() -> None:
    layout, _reading = _read([
        ["№ п/п", "Мероприятия", "Сроки исполнения", "Исполнители", "", "Результат"],
        ["", "", "", "региональные", "ОО", ""],
        ["1.1.", "Разработка", "Июль 2020 г.", "РИКП", "ОО", "Проект"],
    ])
    assert layout.kinds == ("number", "activity", "deadline", "responsible", "co_responsible",
                            "result")
    assert layout.headers[4] == "Исполнители ОО"


def test_join_lines() -> None:
    assert join_lines("Разработка\nорганизационно-\nметодического  плана ") == (
        "Разработка организационно-методического  плана"
    )
    assert join_lines("Ученик -\nученик") == "Ученик - ученик"  # a dash, not a hyphen


def test_parties_split_outside_brackets_and_reuse_known_names() -> None:
    assert split_parts("Министерство (далее – М., РИКП), «Школа, сад», ОО") == [
        "Министерство (далее – М., РИКП)", "«Школа, сад»", "ОО"
    ]
    resolver = PartyResolver([
        KnownParty("coordinator", "Координатор", ["Заместитель начальника УО, координатор ЦМН"]),
        KnownParty("imcro", "МКУ ИМЦРО", ["МКУ «ИМЦРО»"]),
        KnownParty("dept", "Департамент образования"),
    ])
    assert resolver.resolve("Заместитель начальника УО, координатор ЦМН") == ("coordinator",)
    assert resolver.resolve('МКУ "ИМЦРО", школы') == ("imcro", "oo")
    assert resolver.resolve("Департамент образования МКУ ИМЦРО") == ("dept", "imcro")
    assert resolver.resolve("Профсоюзный комитет") == ("profsoyuznyy-komitet",)
    assert resolver.resolve("Региональный институт (далее – РИКП), РИКП") == ("rikp",)
    assert transliterate("Объединение «Щит»") == "obedinenie-shchit"
