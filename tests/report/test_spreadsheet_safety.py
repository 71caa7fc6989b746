"""Spreadsheet safety (OWASP "CSV injection"): no cell of the CSV or XLSX outputs can be taken as a
formula. A text value starting with =, +, -, @, tab or CR is written with a leading single quote."""

from __future__ import annotations

import csv
import io
import re

import hostile
import pandas as pd
import pytest

from gdpr_analytics.core.csvfile import csv_text, neutralise, write_csv

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")  # a plain number is not a formula
CSV_OUTPUTS = ("findings.csv", "cross_border.csv", "ropa.csv")  # named by SPEC §6; any other CSV is checked too


def dangerous(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value)


def neutralised(value: object) -> bool:
    return isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START)


# -- output.neutralise, by hand -----------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://evil.example/","click")', '\'=HYPERLINK("http://evil.example/","click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(1)", "'@SUM(1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("=", "'="),
    ("-", "'-"),
    ("ordinary text", "ordinary text"),
    ("a=1+1", "a=1+1"),  # only the first character matters
    ("", ""),
    ("'=1+1", "'=1+1"),  # already neutral: a quote first is text to every spreadsheet
    (" =1+1", " =1+1"),
    ("\u202e=1+1", "\u202e=1+1"),
    ("<script>window.__pwned=1</script>", "<script>window.__pwned=1</script>"),  # HTML is not its business
])
def test_neutralise_text(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize("value", [0, 5, -3, -2.5, 1.0, None, True, False])
def test_neutralise_leaves_non_text_alone(value):
    assert neutralise(value) is value


def _read(path) -> str:
    """The file's text exactly (no newline translation: a lone CR must stay a CR)."""
    return path.read_bytes().decode("utf-8")


def test_write_csv_neutralises_every_cell_and_the_header(tmp_path):
    df = pd.DataFrame({"=name": list(hostile.FORMULAS) + [hostile.QUOTED, "plain"],
                       "n": list(range(-1, len(hostile.FORMULAS) + 1))})
    target = tmp_path / "out.csv"
    write_csv(df, target)
    text = _read(target)
    assert text == csv_text(df)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["'=name", "n"]
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if dangerous(c)], [c for c in cells if dangerous(c)]


@pytest.mark.parametrize("value", ["\r=1+1", "x\ry", "x\r\ny", 'a, "b"\nc', "\n=1+1"])
def test_write_csv_round_trips_line_breaks_inside_values(value):
    """RFC 4180: a field holding CR or LF is quoted, so the record reads back as written."""
    df = pd.DataFrame({"value": [value, "next"]})
    rows = list(csv.reader(io.StringIO(csv_text(df), newline="")))
    assert rows == [["value"], [neutralise(value)], ["next"]]


# -- the report outputs -------------------------------------------------------------------------


def _csv_cells(path) -> list[tuple[int, str, str]]:
    """(line, column, value) of every cell, the header included."""
    rows = list(csv.reader(io.StringIO(_read(path), newline="")))
    header = rows[0] if rows else []
    return [(i + 1, header[j] if j < len(header) else str(j), cell)
            for i, row in enumerate(rows) for j, cell in enumerate(row)]


def _csv_files(report) -> list:
    found = {p.name: p for p in report.folder.glob("*.csv")}
    return [report.folder / n for n in CSV_OUTPUTS] + [p for n, p in sorted(found.items()) if n not in CSV_OUTPUTS]


def _check_csvs(report) -> tuple[int, int, list[str]]:
    cells = neutral = 0
    problems = []
    for path in _csv_files(report):
        name = path.name
        if not path.exists():
            problems.append(f"{name} is missing")
            continue
        for line, column, value in _csv_cells(path):
            cells += 1
            neutral += neutralised(value)
            if dangerous(value):
                problems.append(f"{name} row {line} column {column}: {value[:50]!r} starts like a formula")
    return cells, neutral, problems


def _xlsx_cells(path):
    from openpyxl import load_workbook

    wb = load_workbook(path)  # not read-only: data_type 'f' and hyperlinks are only seen this way
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None or cell.hyperlink is not None:
                    yield ws.title, cell


def _check_xlsx(report) -> tuple[int, int, list[str]]:
    path = report.folder / "ropa.xlsx"
    if not path.exists():
        return 0, 0, ["ropa.xlsx is missing"]
    cells = neutral = 0
    problems = []
    for sheet, cell in _xlsx_cells(path):
        cells += 1
        where = f"ropa.xlsx {sheet}!{cell.coordinate}"
        if cell.data_type == "f":
            problems.append(f"{where} is a formula: {str(cell.value)[:50]!r}")
        if dangerous(cell.value):
            problems.append(f"{where}: {cell.value[:50]!r} starts like a formula")
        if cell.hyperlink is not None:
            problems.append(f"{where} carries a hyperlink {cell.hyperlink.target!r}")
        neutral += neutralised(cell.value)
    return cells, neutral, problems


@pytest.fixture(params=[pytest.param("sample_report", marks=pytest.mark.slow),
                        pytest.param("hostile_report", marks=pytest.mark.slow)])
def report(request):
    return request.getfixturevalue(request.param)


def test_csv_outputs_have_no_formula_cells(report):
    cells, neutral, problems = _check_csvs(report)
    print(f"{report.label}: {cells} CSV cells checked in {', '.join(p.name for p in _csv_files(report))}, "
          f"{neutral} neutralised with a quote, {len(problems)} formula-like")
    assert not problems, "\n".join(problems[:30])
    if report.label == "hostile":
        assert neutral >= len(hostile.FORMULAS), "the hostile formulas did not reach the CSV outputs"


def test_xlsx_has_no_formula_cells(report):
    cells, neutral, problems = _check_xlsx(report)
    print(f"{report.label}: {cells} ropa.xlsx cells checked, {neutral} neutralised with a quote, "
          f"{len(problems)} problems")
    assert cells > 0
    assert not problems, "\n".join(problems[:30])
    if report.label == "hostile":
        assert neutral > 0, "no hostile formula reached ropa.xlsx (processors seen): the check proved nothing"


@pytest.mark.slow
def test_hostile_formulas_in_cross_border_csv_are_quoted(hostile_report, hostile_set):
    """Each formula processor name is in cross_border.csv, with the quote (and otherwise unchanged)."""
    rows = list(csv.DictReader(io.StringIO(_read(hostile_report.folder / "cross_border.csv"), newline="")))
    processors = {r["processor"] for r in rows}
    missing = [f for f in hostile_set.formulas if "'" + f not in processors]
    assert not missing, f"not found quoted in cross_border.csv: {missing}"
