"""Roster CSV import: every bad line reported with its number, nothing half-imported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.results import roster
from kiosk.results.roster import RosterError, import_roster, lookup
from kiosk.results.store import ResultsStore

GOOD = (
    "id,name,team,position,barcode\n"
    "A1,\"Doe, Jane\",Rowing,Stroke,1001\n"
    "A2,Zoë Ünal,Rowing,Bow,1002\n"
    "B1,Sam O'Neil,Track,,\n"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ResultsStore]:
    s = ResultsStore.open(tmp_path / "results.sqlite3")
    yield s
    s.close()


def write(tmp_path: Path, text: str, name: str = "roster.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def all_rows(store: ResultsStore) -> list[tuple[str, ...]]:
    return [tuple(r) for r in store.conn.execute(
        "SELECT id, name, team, position, coalesce(barcode, '') FROM athletes ORDER BY id")]


def test_import_and_lookup(store: ResultsStore, tmp_path: Path) -> None:
    res = import_roster(store, write(tmp_path, GOOD))
    assert (res.added, res.updated) == (3, 0)
    assert all_rows(store) == [("A1", "Doe, Jane", "Rowing", "Stroke", "1001"),
                               ("A2", "Zoë Ünal", "Rowing", "Bow", "1002"),
                               ("B1", "Sam O'Neil", "Track", "", "")]
    by_code = lookup(store, " 1002 ")
    assert by_code is not None and by_code.id == "A2"
    by_id = lookup(store, "B1")
    assert by_id is not None and by_id.barcode is None
    assert lookup(store, "nope") is None
    assert [a.id for a in roster.athletes(store, team="Rowing")] == ["A1", "A2"]


def test_reimport_updates_and_barcodes_may_swap(store: ResultsStore, tmp_path: Path) -> None:
    import_roster(store, write(tmp_path, GOOD))
    swapped = "id,name,team,position,barcode\nA1,Jane Doe,Rowing,Stroke,1002\nA2,Zoe,Rowing,Bow,1001\n"
    res = import_roster(store, write(tmp_path, swapped, "v2.csv"))
    assert (res.added, res.updated) == (0, 2)
    assert all_rows(store)[:2] == [("A1", "Jane Doe", "Rowing", "Stroke", "1002"),
                                   ("A2", "Zoe", "Rowing", "Bow", "1001")]
    assert len(all_rows(store)) == 3  # B1, not in the new file, is kept


def test_excel_flavours_bom_semicolons_crlf_and_header_case(store: ResultsStore, tmp_path: Path) -> None:
    text = "\ufeff ID ; Name ;Team\r\nA1;Jane;Rowing\r\n\r\nA2;Joe;Rowing\r\n"
    import_roster(store, write(tmp_path, text))
    assert all_rows(store) == [("A1", "Jane", "Rowing", "", ""), ("A2", "Joe", "Rowing", "", "")]


BAD_CASES = [
    pytest.param("id,name\nA1,Jane\nA2,\nA3,Joe\n", [(3, "name is empty")], id="empty-name"),
    pytest.param("id,name,team\nA1,Jane,X\n,Joe,X\n", [(3, "id is empty")], id="empty-id"),
    pytest.param("id,name\nA1,Jane\nA2,Joe\nA1,Jim\n", [(4, "id 'A1' is already on line 2")], id="dup-id"),
    pytest.param("id,name,barcode\nA1,Jane,77\nA2,Joe,78\nA3,Jim,77\n",
                 [(4, "barcode '77' is already on line 2")], id="dup-barcode"),
    pytest.param("id,name\nA1,Jane\nA2,Joe,extra\n", [(3, "3 fields, the header has 2")], id="extra-field"),
    pytest.param("id,nmae\nA1,Jane\n", [(1, "unknown column 'nmae'"), (1, "missing column 'name'")],
                 id="typo-column"),
    pytest.param("id,name,id\nA1,Jane,A1\n", [(1, "column 'id' appears twice")], id="repeated-column"),
    pytest.param("id,name\nA1,Jane\nA2,\"Jo\x07e\"\n", [(3, "name has control characters")], id="control"),
    pytest.param("id,name\n" + "A1," + "x" * 201 + "\n", [(2, "name is longer than 200")], id="too-long"),
    # A quoted name over lines 2-3 (a line break in a name is refused): the next record is line 4.
    pytest.param("id,name\nA1,\"Jane\nDoe\"\nA2,\n",
                 [(2, "name has control characters"), (4, "name is empty")], id="multiline-record"),
    pytest.param("id,name\nA1,Jane\nA2,\"Jo\"e\n", [(3, "not valid CSV")], id="bad-quoting"),
    pytest.param("", [(0, "empty file")], id="empty"),
    pytest.param("id,name,team\n\n", [(0, "no athletes")], id="header-only"),
    pytest.param("id,name\nA1,\nB1,Bob\nA1,Al\nC1,\n",
                 [(2, "name is empty"), (5, "name is empty")], id="all-reported"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CASES)
def test_bad_rows_are_reported_by_line_and_nothing_is_imported(
    store: ResultsStore, tmp_path: Path, text: str, expected: list[tuple[int, str]]
) -> None:
    import_roster(store, write(tmp_path, "id,name\nOLD,Already Here\n", "first.csv"))
    with pytest.raises(RosterError) as info:
        import_roster(store, write(tmp_path, text))
    got = info.value.problems
    for line, needle in expected:
        assert any(n == line and needle in msg for n, msg in got), got
    assert all_rows(store) == [("OLD", "Already Here", "", "", "")]  # the good rows were not imported
    msg = str(info.value)
    assert "\n" not in msg and "nothing imported" in msg
    for line, _ in expected:
        if line:
            assert f"line {line}:" in msg


def test_barcode_taken_by_an_athlete_not_in_the_file(store: ResultsStore, tmp_path: Path) -> None:
    import_roster(store, write(tmp_path, GOOD))
    with pytest.raises(RosterError) as info:
        import_roster(store, write(tmp_path, "id,name,barcode\nC1,New,9\nC2,Newer,1001\n", "new.csv"))
    assert info.value.problems == [(3, "barcode '1001' belongs to athlete 'A1' already")]
    assert lookup(store, "C1") is None and len(all_rows(store)) == 3
    assert not store.conn.in_transaction


def test_not_utf8_names_the_line(store: ResultsStore, tmp_path: Path) -> None:
    p = write(tmp_path, "id,name\nA1,Jane\nA2,Zoë\n", encoding="cp1252")
    with pytest.raises(RosterError, match=r"line 3: not UTF-8"):
        import_roster(store, p)
    with pytest.raises(RosterError, match=r"^roster file .*missing.csv not found: check the file name"):
        import_roster(store, tmp_path / "missing.csv")
    assert all_rows(store) == []


def test_many_problems_stay_one_line(tmp_path: Path) -> None:
    text = "id,name\n" + "".join(f"A{i},\n" for i in range(30))
    with pytest.raises(RosterError) as info:
        roster.parse_roster(text, "big.csv")
    assert len(info.value.problems) == 30
    msg = str(info.value)
    assert msg.startswith("big.csv: 30 bad lines") and "(and 20 more)" in msg and "\n" not in msg
