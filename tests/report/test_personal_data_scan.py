"""No personal data in what auditors get (SPEC §6): every HTML page, CSV, XLSX and JSON of the month
folder (everything except notebooks/) is scanned for every personal value of `customers`.

Short values would match everywhere (a first name "An"), so the scan looks for values that identify
someone: full names ("first last" and "last first"), e-mails, phones, mobiles, streets, VAT numbers,
birth dates in ISO form (only those before the data's first account, so that no event date can match
by chance) and "postal_code city" pairs. Files are decoded before matching: HTML entities, JSON and
JavaScript escapes (\\u00e9, \\/), tags between table cells, CSV quoting, XLSX cells. Values that the
policy itself publishes (the controller's address) are not personal data and are left out.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest

from gdpr_analytics.core.assets import default_policy_path

MIN_LENGTH = 6  # a normalised value shorter than this is not scanned (it would match by chance)
_SEPARATORS = re.compile(r"[\s,;|\"'`<>()\[\]{}\u200b\u200e\u200f\u202a-\u202e]+")
_JS_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\([/\"'\\nrt])")
_TAG = re.compile(r"<[^>]*>")


def normalise(text: str) -> str:
    """Case-folded, every run of whitespace, quotes, brackets, commas and bidi marks made one space."""
    return _SEPARATORS.sub(" ", text.casefold()).strip()


def _js_unescape(text: str) -> str:
    def repl(m: re.Match) -> str:
        if m.group(1):
            return chr(int(m.group(1), 16))
        if m.group(2):
            return chr(int(m.group(2), 16))
        return {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(3), m.group(3))

    return _JS_ESCAPE.sub(repl, text)


def views(path: Path, drop: tuple[str, ...] = ()) -> list[str]:
    """The texts of one file a reader could see, each normalised for matching."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=False)
        rows = [" ".join("" if v is None else str(v) for v in row)
                for ws in wb.worksheets for row in ws.iter_rows(values_only=True)]
        wb.close()
        return [normalise("\n".join(rows))]
    raw = path.read_bytes().decode("utf-8", errors="replace")
    for chunk in drop:  # library code (plotly.js) is not data and is 4 MB per page
        raw = raw.replace(chunk, "")
    texts = [raw]
    if suffix in (".html", ".htm", ".svg", ".xml"):
        unescaped = html.unescape(raw)
        decoded = html.unescape(_js_unescape(raw))
        texts += [unescaped, decoded, _TAG.sub(" ", decoded), _TAG.sub(" ", html.unescape(decoded))]
    elif suffix == ".csv":
        rows = csv.reader(io.StringIO(raw, newline=""))
        texts.append("\n".join(" ".join(c[1:] if c.startswith("'") else c for c in row) for row in rows))
    elif suffix == ".json":
        texts.append(json.dumps(json.loads(raw), ensure_ascii=False))
        texts.append(_js_unescape(raw))
    return [normalise(t) for t in texts]


@dataclass
class Needles:
    values: dict[str, str] = field(default_factory=dict)  # normalised value -> kind
    skipped_short: int = 0
    skipped_public: int = 0
    skipped_dates: int = 0

    def add(self, kind: str, value: object, public: str) -> None:
        if value is None:
            return
        text = normalise(str(value))
        if len(text) < MIN_LENGTH:
            self.skipped_short += 1
        elif text in public:
            self.skipped_public += 1
        else:
            self.values.setdefault(text, kind)

    def find(self, text: str) -> list[str]:
        """Every needle occurring in text: one pass over the text, keyed by the first MIN_LENGTH chars."""
        by_prefix: dict[str, list[str]] = {}
        for n in self.values:
            by_prefix.setdefault(n[:MIN_LENGTH], []).append(n)
        found = set()
        for i in range(len(text) - MIN_LENGTH + 1):
            candidates = by_prefix.get(text[i:i + MIN_LENGTH])
            if candidates:
                found.update(n for n in candidates if text.startswith(n, i))
        return sorted(found)


def personal_values(db: Path) -> Needles:
    """The identifying personal values of every customer in the database."""
    public = normalise(default_policy_path().read_text(encoding="utf-8"))
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT first_name, last_name, street, postal_code, city, email, phone, mobile, vat_number, "
            "birth_date FROM customers").fetchall()
        first_day = con.execute("SELECT min(created_at)::DATE FROM customers").fetchone()[0]
    finally:
        con.close()
    needles = Needles()
    for first, last, street, postal, city, email, phone, mobile, vat, birth in rows:
        if first and last:
            needles.add("full name", f"{first} {last}", public)
            needles.add("full name", f"{last} {first}", public)
        needles.add("street", street, public)
        if postal and city:
            needles.add("postal code and city", f"{postal} {city}", public)
        needles.add("email", email, public)
        needles.add("phone", phone, public)
        needles.add("mobile", mobile, public)
        needles.add("VAT number", vat, public)
        if isinstance(birth, date):
            if first_day is None or birth < first_day:
                needles.add("birth date", birth.isoformat(), public)
            else:
                needles.skipped_dates += 1
    return needles


def scan(report) -> tuple[Needles, list[Path], dict[str, list[str]]]:
    from plotly.offline import get_plotlyjs

    needles = personal_values(report.db)
    files = report.auditor_files
    found: dict[str, list[str]] = {}
    for path in files:
        if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".pdf"):
            continue
        hits = set()
        for view in views(path, drop=(get_plotlyjs(),)):
            hits.update(needles.find(view))
        if hits:
            found[str(path.relative_to(report.folder))] = sorted(hits)
    return needles, files, found


def _report_scan(report) -> None:
    needles, files, found = scan(report)
    kinds: dict[str, int] = {}
    for kind in needles.values.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    n_found = sum(len(v) for v in found.values())
    print(f"{report.label}: {len(needles.values)} personal values checked "
          f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}) in {len(files)} files "
          f"({', '.join(sorted({p.suffix for p in files}))}); found {n_found}; not scanned: "
          f"{needles.skipped_short} too short, {needles.skipped_public} published by the policy, "
          f"{needles.skipped_dates} birth dates inside the data's period")
    assert needles.values, "no personal value to look for"
    details = [f"{f}: {needles.values[v]} {v[:60]!r}" for f, vs in found.items() for v in vs]
    assert not found, "personal data in auditor files:\n" + "\n".join(details[:40])


# -- the scanner itself -------------------------------------------------------------------------


def test_scanner_finds_planted_values(tmp_path):
    needles = Needles()
    needles.add("full name", "Zoë Van den Broeck", "")
    needles.add("email", "zoe.vdb@example.com", "")
    needles.add("birth date", "1971-04-02", "")
    needles.add("short", "An", "")
    assert needles.skipped_short == 1
    page = tmp_path / "p.html"
    page.write_text("<table><tr><td>Zo&euml;</td><td>Van den Broeck</td></tr></table>"
                    '<script>var d = {"e": "zoe.vdb\\u0040example.com"};</script>', encoding="utf-8")
    hits = {h for v in views(page) for h in needles.find(v)}
    assert hits == {normalise("Zoë Van den Broeck"), "zoe.vdb@example.com"}
    table = tmp_path / "t.csv"
    table.write_text('id,born\n1,"\'1971-04-02"\n', encoding="utf-8")
    assert {h for v in views(table) for h in needles.find(v)} == {"1971-04-02"}


# -- the reports --------------------------------------------------------------------------------


@pytest.mark.slow
def test_no_personal_data_in_the_sample_report(sample_report):
    _report_scan(sample_report)


@pytest.mark.slow
def test_no_personal_data_in_the_hostile_report(hostile_report):
    _report_scan(hostile_report)


@pytest.mark.slow
def test_no_personal_marker_in_the_hostile_report(hostile_report):
    """Every personal value of the hostile set carries a marker PII<nn>; none may reach auditors,
    whatever the column (first or last name alone, city, street fragment)."""
    from plotly.offline import get_plotlyjs

    marker = re.compile(r"pii\d\d")
    leaks = {}
    for path in hostile_report.auditor_files:
        hits = {m for v in views(path, drop=(get_plotlyjs(),)) for m in marker.findall(v)}
        if hits:
            leaks[path.name] = sorted(hits)
    print(f"hostile: {len(hostile_report.auditor_files)} files scanned for PII markers; found {leaks or 0}")
    assert not leaks
