"""The report on hostile data (tests/hostile.py): no value from the data ever runs as script or
becomes markup, the pages still render, and hostile values are shown escaped, as text."""

from __future__ import annotations

import csv
import io

import hostile
import pytest

from gdpr_analytics.core.csvfile import neutralise

EXPECTED_RULES = {"RET-001", "RET-002", "RET-003", "RET-004", "RET-005", "XB-001", "XB-002", "XB-003",
                  "XB-004", "XB-005", "XB-006", "MKT-001", "MKT-002", "MKT-003", "DSR-001", "MIN-001"}


def _unquote(cell: str) -> str:
    """A CSV cell as the data had it: without the quote that neutralises a formula."""
    cell = cell or ""
    return cell[1:] if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


def _rows(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


# -- the data set -------------------------------------------------------------------------------


pytestmark = pytest.mark.slow


def test_hostile_source_is_contract_valid(hostile_set, hostile_db):
    """load_to_file accepted every table (the fixture would have raised a DataError otherwise)."""
    import duckdb

    con = duckdb.connect(str(hostile_db), read_only=True)
    try:
        processors = {r[0] for r in con.execute("SELECT DISTINCT processor FROM access_log").fetchall()}
        names = con.execute("SELECT count(*) FROM customers WHERE first_name LIKE '%<script>%'").fetchone()[0]
        long_city = con.execute("SELECT max(length(city)) FROM customers").fetchone()[0]
    finally:
        con.close()
    missing = [p for p in hostile_set.processors if p not in processors]
    assert not missing, f"hostile processor names changed by the load: {[m[:40] for m in missing]}"
    assert names >= 1 and long_city >= 10_000


def test_hostile_values_reach_the_findings(hostile_report, hostile_set):
    rows = _rows(hostile_report.folder / "findings.csv")
    rules = {r["rule_id"] for r in rows}
    assert EXPECTED_RULES <= rules, f"rules without a finding on the hostile set: {sorted(EXPECTED_RULES - rules)}"
    subjects = {_unquote(r["subject_id"]) for r in rows}
    shown = [i for i in hostile_set.ids if i in subjects]
    text = (hostile_report.folder / "findings.csv").read_bytes().decode("utf-8")
    print(f"findings on the hostile set: {len(rows)} rows, rules {sorted(rules)}; "
          f"hostile IDs among the subjects: {len(shown)}/{len(hostile_set.ids)}")
    assert len(shown) >= 5, f"too few hostile IDs in findings.csv subjects: {shown}"
    assert hostile.SCRIPT in text, "no script payload reached findings.csv"
    # Raw text, not parsed rows: whether the CSV reads back intact is test_spreadsheet_safety's business.
    xb = (hostile_report.folder / "cross_border.csv").read_bytes().decode("utf-8")
    lost = [p[:40] for p in hostile_set.processors
            if not any(form in xb for form in (p, neutralise(p), neutralise(p).replace('"', '""')))]
    assert not lost, f"undeclared processors missing or altered in cross_border.csv: {lost}"


# -- in the browser -----------------------------------------------------------------------------

INJECTED_JS = r"""(payloads) => {
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase(), value = attr.value;
      if (name.startsWith('on') && value.includes('__pwned'))
        out.push(`<${el.tagName.toLowerCase()} ${name}="${value.slice(0, 60)}">`);
      if (['href', 'src', 'xlink:href', 'action', 'formaction', 'data'].includes(name)
          && /^\s*javascript:/i.test(value))
        out.push(`<${el.tagName.toLowerCase()} ${name}="${value.slice(0, 60)}">`);
    }
  }
  for (const s of document.querySelectorAll('script')) {
    const text = s.textContent;
    if (text.trim() === 'window.__pwned=1') out.push('<script> from the data');
    for (const p of payloads) if (text.includes(p)) out.push(`payload verbatim inside <script>: ${p.slice(0, 40)}`);
  }
  for (const img of document.querySelectorAll('img[src="x"], svg[onload], iframe[srcdoc]'))
    out.push(`injected <${img.tagName.toLowerCase()}>`);
  return {injected: out, scripts: document.querySelectorAll('script').length};
}"""


@pytest.mark.browser
def test_no_script_from_the_data_runs(hostile_report, hostile_set, opened, page_tools, artifacts):
    pages = hostile_report.pages
    assert len(pages) >= 5, [p.name for p in pages]
    problems, executed, injected, charts, rendered, outside = [], 0, 0, 0, 0, 0
    visits = {path: opened(path, root=hostile_report.folder) for path in pages}
    after_load = {path: v.page.evaluate("typeof window.__pwned") for path, v in visits.items()}
    for v in visits.values():
        v.page.mouse.move(400, 300)  # hover handlers (plotly tooltips) get a chance too
    next(iter(visits.values())).page.wait_for_timeout(1_000)  # the pages are open together: one second for all
    for path, v in visits.items():
        after_wait = v.page.evaluate("typeof window.__pwned")
        if after_load[path] != "undefined" or after_wait != "undefined":
            executed += 1
            problems.append(f"{path.name}: window.__pwned is {after_wait} - a payload from the data ran")
        markup = [p for p in hostile_set.payloads if "<" in p]  # "javascript:..." may sit in JSON as data
        dom = v.page.evaluate(INJECTED_JS, markup)
        injected += len(dom["injected"])
        problems += [f"{path.name}: {d}" for d in dom["injected"]]
        problems += [f"{path.name}: {p}" for p in v.problems]
        outside += len(v.outside)
        expected, ok, chart_issues = page_tools.chart_problems(v, path.read_text(encoding="utf-8"))
        charts, rendered = charts + expected, rendered + ok
        problems += [f"{path.name}: {p}" for p in chart_issues]
        v.page.screenshot(path=str(artifacts / "screenshots" / f"hostile-{path.stem}.png"), full_page=True)
        width = v.page.evaluate("document.documentElement.scrollWidth")
        print(f"{path.name}: __pwned {after_wait}, {len(dom['injected'])} injected elements, "
              f"{dom['scripts']} scripts, {ok}/{expected} charts, {len(v.outside)} requests to other hosts, "
              f"page width {width}px")
    print(f"hostile report: pages opened {len(pages)}, scripts executed from data {executed}, "
          f"injected elements {injected}, requests to other hosts {outside}, charts rendered {rendered}/{charts}")
    assert executed == 0 and injected == 0 and outside == 0
    assert not problems, "\n".join(problems)
    assert charts > 0 and rendered == charts


@pytest.mark.browser
def test_hostile_values_are_shown_as_text(hostile_report, opened):
    """The literal text of the payloads is visible somewhere (escaped), never as an element."""
    visible: dict[str, list[str]] = {p: [] for p in hostile.XSS_PAYLOADS}
    for path in hostile_report.pages:
        v = opened(path, root=hostile_report.folder)
        text = v.page.evaluate("document.body.innerText")
        for p in hostile.XSS_PAYLOADS:
            if p in text:
                visible[p].append(path.name)
    for p, where in visible.items():
        print(f"shown as text: {p[:45]!r}: {where or 'nowhere'}")
    assert visible[hostile.SCRIPT], "the <script> payload (an undeclared processor, IDs) is not shown on any page"
    assert sum(1 for w in visible.values() if w) >= 3, "fewer than 3 payloads shown as text"
