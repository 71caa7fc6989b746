"""The auditor HTML proven in a real browser (Debian's chromium through playwright).

Every page of the report on the sample is opened from disk (file://): no console error, no failed
resource, no request to any host (only file:// inside the report folder, data: and blob:), every plotly
chart rendered with the traces its JSON declares, table-of-contents links landing on headings, every
link of index.html opening an existing page or file, a full-page screenshot of each page in
test-artifacts/screenshots/, and one page printed to PDF. Each page of the sample report is loaded once
for the module (the `opened` fixture) and read by every test that needs it; the PDF and the overview
tests open their own.

The first tests check the harness itself on small static pages, so a broken harness cannot pass a
broken report.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.browser

PLOT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<script>{plotly}</script></head><body>
<nav class="gdpr-toc"><a href="#first">First</a> <a href="#second">Second</a></nav>
<h2 id="first">First</h2><p>{extra}</p>
{chart}
<div style="height:1500px"></div>
<h2 id="second">Second</h2><p>end</p>
</body></html>"""


def _static_page(folder: Path, name: str, extra: str = "", traces: int = 2) -> Path:
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    fig = go.Figure([go.Bar(x=["a", "<b>b</b>"], y=[i + 1, 2]) for i in range(traces)])
    chart = pio.to_html(fig, include_plotlyjs=False, full_html=False, default_height=400)
    path = folder / name
    path.write_text(PLOT_PAGE.format(title=name, plotly=get_plotlyjs(), chart=chart, extra=extra),
                    encoding="utf-8")
    return path


# -- the harness, on static pages ---------------------------------------------------------------


def test_harness_passes_a_clean_page(visit, page_tools, tmp_html):
    path = _static_page(tmp_html, "clean.html", traces=3)
    v = visit(path)
    assert v.problems == []
    expected, rendered, problems = page_tools.chart_problems(v, path.read_text(encoding="utf-8"))
    assert (expected, rendered, problems) == (1, 1, [])
    assert v.page.evaluate("document.querySelector('.js-plotly-plot').data.length") == 3


def test_harness_catches_requests_to_other_hosts_and_errors(visit, tmp_html):
    extra = ('<img src="https://cdn.example.org/pixel.png">'
             '<link rel="stylesheet" href="http://fonts.example.com/x.css">'
             '<img src="missing-local.png">'
             '<script>console.error("boom")</script><script>undefinedFunction()</script>')
    path = _static_page(tmp_html, "dirty.html", extra=extra)
    v = visit(path)
    hosts = {urlparse(u).hostname for u in v.outside}
    assert hosts == {"cdn.example.org", "fonts.example.com"}, v.outside
    assert any("boom" in m for m in v.console_errors)
    assert any("undefinedFunction" in m for m in v.page_errors)
    assert any("missing-local.png" in m for m in v.failed)


def test_harness_catches_files_outside_the_report(visit, tmp_html):
    inner = tmp_html / "inner"
    inner.mkdir(exist_ok=True)
    (tmp_html / "outside.png").write_bytes(b"")
    page = inner / "page.html"
    page.write_text('<!doctype html><img src="../outside.png"><img src="data:image/gif;base64,'
                    'R0lGODlhAQABAAAAACw=">', encoding="utf-8")
    v = visit(page, root=inner)
    assert len(v.outside) == 1 and v.outside[0].endswith("/outside.png"), v.outside


def test_harness_catches_a_missing_chart(visit, page_tools, tmp_html):
    path = _static_page(tmp_html, "nochart.html", traces=2)
    text = path.read_text(encoding="utf-8").replace("Plotly.newPlot(", "Plotly.newPlot && false && Plotly.newPlot(")
    path.write_text(text, encoding="utf-8")
    v = visit(path)
    expected, rendered, problems = page_tools.chart_problems(v, text)
    assert expected == 1 and rendered == 0 and problems


def test_harness_sees_script_from_data(visit, tmp_html):
    path = tmp_html / "pwned.html"
    path.write_text('<!doctype html><p><img src=x onerror="window.__pwned=1"></p>', encoding="utf-8")
    v = visit(path, wait_ms=200)
    assert v.page.evaluate("window.__pwned") == 1


# -- the report on the sample -------------------------------------------------------------------


def _screenshot(v, artifacts: Path, label: str) -> Path:
    target = artifacts / "screenshots" / f"{label}-{v.path.stem}.png"
    v.page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 5_000, f"screenshot {target} is nearly empty"
    return target


@pytest.mark.slow
def test_every_page_loads_offline_with_charts(sample_report, opened, page_tools, artifacts):
    pages = sample_report.pages
    assert len(pages) >= 5, f"expected index.html and one page per notebook, found {[p.name for p in pages]}"
    problems: list[str] = []
    totals = dict(pages=0, requests=0, local=0, outside=0, console_errors=0, failed=0, charts=0, rendered=0)
    for path in pages:
        v = opened(path, root=sample_report.folder)
        text = path.read_text(encoding="utf-8")
        expected, rendered, chart_issues = page_tools.chart_problems(v, text)
        problems += [f"{path.name}: {p}" for p in v.problems + chart_issues]
        if path.name not in ("index.html", "register.html") and expected == 0:  # the register has no chart
            problems.append(f"{path.name}: no chart at all")
        title = v.page.title()
        if not title.strip():
            problems.append(f"{path.name}: empty <title>")
        if v.page.locator("pre, .jp-InputArea, .input_area, .jp-CodeCell .jp-InputPrompt").count():
            code = v.page.locator(".jp-InputArea, .input_area").count()
            if code:
                problems.append(f"{path.name}: {code} code input area(s) shown to auditors")
        shot = _screenshot(v, artifacts, sample_report.label)
        totals["pages"] += 1
        totals["requests"] += len(v.requests)
        totals["local"] += sum(1 for u in v.requests if u.startswith("file:"))
        totals["outside"] += len(v.outside)
        totals["console_errors"] += len(v.console_errors) + len(v.page_errors)
        totals["failed"] += len(v.failed)
        totals["charts"] += expected
        totals["rendered"] += rendered
        print(f"{path.name}: {len(v.requests)} requests, {len(v.outside)} to other hosts, "
              f"{rendered}/{expected} charts rendered, screenshot {shot.name}")
    print("sample report:", ", ".join(f"{k} {n}" for k, n in totals.items()))
    assert totals["outside"] == 0
    assert not problems, "\n".join(problems)
    assert totals["charts"] > 0 and totals["rendered"] == totals["charts"]


CHARTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
  const boxes = sel => Array.from(gd.querySelectorAll(sel)).map(e => { const r = e.getBoundingClientRect();
      return {text: e.textContent.trim(), x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; })
    .filter(b => b.x1 > b.x0 && b.y1 > b.y0);
  const fl = gd._fullLayout;
  return {title: (gd.layout.title || {}).text || '', gtitle: boxes('.gtitle'),
    others: [...boxes('[class^="g-x"][class$="title"] text, [class^="g-y"][class$="title"] text'),
             ...boxes('[class$="tick"] text'), ...boxes('.legend .bg').map(b => ({...b, text: 'legend'})),
             ...boxes('.annotation')],
    annotations: boxes('.annotation').map(b => b.text), shapes: (fl.shapes || []).length,
    bins: gd._fullData.filter(t => t.type === 'histogram').map(t => [(t.xbins || {}).start, (t.xbins || {}).end, (t.xbins || {}).size]),
    counts: gd._fullData.filter(t => t.type === 'histogram').length
      ? Object.keys(fl).filter(k => /^yaxis\\d*$/.test(k)).flatMap(k => (fl[k]._vals || []).map(v => v.x)) : []};
})"""


def _overlap(a: dict, b: dict) -> bool:
    return a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]


@pytest.mark.slow
def test_every_chart_reads_without_overlaps_and_counts_in_whole_numbers(sample_report, opened, artifacts):
    """Each chart of each page, in Chromium: its title overlaps no axis title, tick label, legend or
    annotation; a histogram's colours share whole-day bins (edges at half days) and its counts sit on
    whole-number ticks; the days-to-close histogram draws the deadline, labelled. A screenshot of each chart
    goes to test-artifacts/screenshots/charts/."""
    shots = artifacts / "screenshots" / "charts"
    shots.mkdir(parents=True, exist_ok=True)
    problems, charts, histograms, deadline = [], 0, 0, []
    for path in sample_report.pages[1:]:
        v = opened(path, root=sample_report.folder)
        for k, c in enumerate(v.page.evaluate(CHARTS_JS)):
            charts += 1
            name = f"{path.name} chart {k + 1} ({c['title'][:50]!r})"
            v.page.locator(".js-plotly-plot").nth(k).screenshot(path=str(shots / f"{path.stem}-{k + 1}.png"))
            if not c["gtitle"]:
                problems.append(f"{name}: no title drawn")
            problems += [f"{name}: the title overlaps {o['text'][:40]!r}" for t in c["gtitle"] for o in c["others"]
                         if _overlap(t, o)]
            if c["bins"]:
                histograms += 1
                start, end, size = c["bins"][0]
                if any(b[:2] != [start, end] for b in c["bins"]):
                    problems.append(f"{name}: the colours have bins of their own {c['bins']}")
                if size != int(size) or size < 1 or (start % 1) != 0.5:
                    problems.append(f"{name}: bins of {size} days from {start} (not whole days)")
                if any(y != int(y) for y in c["counts"]):
                    problems.append(f"{name}: count ticks {c['counts']}")
            if c["title"].startswith("Days from receipt to closing"):
                deadline = [a for a in c["annotations"] if "deadline" in a and "days" in a]
                if not (deadline and c["shapes"]):
                    problems.append(f"{name}: no deadline drawn ({c['annotations']}, {c['shapes']} shapes)")
    print(f"{charts} charts, {histograms} histograms; deadline label {deadline}")
    assert not problems, "\n".join(problems)
    assert charts >= 8 and histograms == 2 and deadline


TABLE_CELLS_JS = """() => Array.from(document.querySelectorAll('table.ga-table td')).map(td => ({
  text: td.textContent.trim(), num: td.classList.contains('num'), align: getComputedStyle(td).textAlign}))"""


@pytest.mark.slow
def test_numbers_in_page_tables_are_right_aligned_with_separators(sample_report, opened):
    """As the index shows 30,000: every number of the pages' tables right-aligned (as the browser lays it
    out), grouped by thousands; no cell reads "None"."""
    problems, numbers = [], 0
    for path in sample_report.pages[1:]:
        v = opened(path, root=sample_report.folder)
        for cell in v.page.evaluate(TABLE_CELLS_JS):
            if cell["text"] == "None":
                problems.append(f"{path.name}: a cell reads None")
            if cell["num"]:
                numbers += 1
                if cell["align"] != "right":
                    problems.append(f"{path.name}: {cell['text']} aligned {cell['align']}")
                if not re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?", cell["text"]):
                    problems.append(f"{path.name}: number {cell['text']!r} not grouped by thousands")
    print(f"{numbers} numbers in the pages' tables")
    assert numbers > 50 and not problems, "\n".join(problems[:20])
    assert any("30,000" == c["text"] for c in opened(sample_report.pages[1], root=sample_report.folder)
               .page.evaluate(TABLE_CELLS_JS) if c["num"])  # the access log's rows in the page header


TOC_JS = """() => Array.from(document.querySelectorAll('a[href^="#"]')).map(a => {
  // The HTML spec looks a fragment up as written first, then percent-decoded (nbconvert ids keep %XX).
  const raw = a.getAttribute('href').slice(1);
  let decoded = raw;
  try { decoded = decodeURIComponent(raw); } catch (e) {}
  const id = document.getElementById(raw) ? raw : decoded;
  const t = id ? document.getElementById(id) : null;
  return {href: a.getAttribute('href'), id, exists: !!t, tag: t ? t.tagName : null,
          inToc: !!a.closest('nav, .gdpr-toc, .toc'), text: a.textContent.trim()};
})"""


@pytest.mark.slow
def test_table_of_contents_links_land_on_headings(sample_report, opened):
    problems, checked, tocs = [], 0, 0
    for path in sample_report.pages:
        v = opened(path, root=sample_report.folder)
        links = v.page.evaluate(TOC_JS)
        toc = [a for a in links if a["inToc"]]
        if path.name != "index.html":
            if not toc:
                problems.append(f"{path.name}: no table of contents")
            else:
                tocs += 1
        for a in links:
            checked += 1
            if not a["exists"]:
                problems.append(f"{path.name}: link {a['href']} ({a['text']!r}) has no target id")
            elif a["inToc"] and a["tag"] not in {"H1", "H2", "H3", "H4", "H5", "H6"}:
                problems.append(f"{path.name}: TOC link {a['href']} lands on <{a['tag']}>, not a heading")
        for i, a in enumerate(toc):  # follow each TOC link: the heading ends up in the viewport
            if not a["exists"]:
                continue
            v.page.locator('nav a[href^="#"], .gdpr-toc a[href^="#"], .toc a[href^="#"]').nth(i).click()
            v.page.wait_for_timeout(30)
            box = v.page.evaluate(
                "id => { const r = document.getElementById(id).getBoundingClientRect();"
                " return {top: r.top, h: window.innerHeight, hash: location.hash}; }", a["id"])
            if not (-2 <= box["top"] < box["h"]):
                problems.append(f"{path.name}: after clicking {a['href']} the heading is at {box['top']:.0f}px")
            if unquote(box["hash"]) not in ("#" + a["id"], unquote(a["href"])):
                problems.append(f"{path.name}: clicking {a['href']} left location.hash {box['hash']!r}")
    print(f"in-page links checked: {checked}; pages with a table of contents: {tocs}")
    assert not problems, "\n".join(problems)


LINKS_JS = """() => Array.from(document.querySelectorAll('a')).map(a => ({
  raw: a.getAttribute('href'), abs: a.href, text: a.textContent.trim().slice(0, 80),
  dataUrl: a.getAttribute('data-url')}))"""


@pytest.mark.slow
def test_every_link_on_index_opens_something(sample_report, opened):
    folder = sample_report.folder.resolve()
    v = opened(folder / "index.html", root=folder)
    links = v.page.evaluate(LINKS_JS)
    problems, files, pages_linked, anchors, external = [], set(), set(), 0, []
    for a in links:
        raw = a["raw"]
        if raw is None:
            if a["dataUrl"]:
                external.append(a["dataUrl"])  # an external address shown as text, not a link
            continue
        url = urlparse(a["abs"])
        if raw.startswith("#"):
            anchors += 1
            if raw != "#" and not v.page.evaluate(
                    "([r, d]) => !!(document.getElementById(r) || document.getElementById(d))",
                    [raw[1:], unquote(raw[1:])]):
                problems.append(f"anchor {raw} has no target")
            continue
        if url.scheme == "mailto":
            external.append(raw)
            continue
        if url.scheme != "file":
            problems.append(f"link to another host or scheme: {raw!r} ({a['text']!r})")
            continue
        target = Path(unquote(url.path)).resolve()
        if target == folder.parent / "index.html":
            continue  # the overview of every month, one level up (tested on its own below)
        if folder not in target.parents:
            problems.append(f"link {raw!r} leaves the report folder")
        elif not target.exists():
            problems.append(f"link {raw!r} ({a['text']!r}) points to a missing file")
        else:
            files.add(target)
            if target.suffix == ".html":
                pages_linked.add(target)
    for target in sorted(pages_linked):  # each linked page opens, offline and without errors
        w = opened(target, root=folder)
        if w.problems or not w.page.title().strip():
            problems.append(f"{target.name} (linked from index) opened with: {w.problems or 'no title'}")
    unlinked = [p.name for p in sample_report.pages if p.resolve() not in pages_linked and p.name != "index.html"]
    if unlinked:
        problems.append(f"pages not linked from index.html: {unlinked}")
    print(f"index.html: {len(links)} links, {len(files)} files ({len(pages_linked)} pages) opened, "
          f"{anchors} anchors, {len(external)} external addresses shown as text or mailto")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_print_to_pdf(sample_report, visit, page_tools, artifacts):
    candidates = [p for p in sample_report.pages if "retention" in p.name] or sample_report.pages[1:2]
    printed = []
    for path in [sample_report.folder / "index.html", *candidates[:1]]:
        v = visit(path, root=sample_report.folder, wait_ms=300)
        v.page.emulate_media(media="print")
        pdf = v.page.pdf(format="A4", print_background=True)
        target = artifacts / "pdf" / f"{sample_report.label}-{path.stem}.pdf"
        target.write_bytes(pdf)
        pages = page_tools.pdf_page_count(pdf)
        text = ""
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True,
                                  text=True, check=True).stdout
        print(f"{path.name} -> {target.name}: {pages} PDF page(s), {len(pdf)} bytes, "
              f"{len(text.split())} words of text" + ("" if shutil.which("pdftotext") else " (no pdftotext)"))
        assert pages >= 1, f"{target} has no page"
        assert len(pdf) > 10_000, f"{target} is only {len(pdf)} bytes"
        if shutil.which("pdftotext"):
            assert len(text.split()) > 20, f"{target}: pdftotext found almost no text"
            assert sample_report.month in text, f"{target}: the month {sample_report.month} is not in the text"
        assert not v.outside
        printed.append(target)
    assert printed


def test_each_rule_on_index_links_to_its_evidence(sample_report, opened):
    """Every rule of the findings table links to its evidence on its page: the target exists and the
    browser scrolls to it (the sample has findings for every rule in its latest month)."""
    folder = sample_report.folder.resolve()
    v = opened(folder / "index.html", root=folder)
    links = v.page.evaluate("""() => Array.from(document.querySelectorAll('table.findings a'))
        .map(a => ({text: a.textContent, href: a.getAttribute('href')}))""")
    rules = {a["text"] for a in links}
    assert len(rules) == 16, links
    problems, pages = [], {}
    for a in links:
        page, _, anchor = a["href"].partition("#")
        assert anchor == f"evidence-{a['text']}", a
        pages.setdefault(page, []).append((a["href"], anchor))
    for page, targets in pages.items():  # each page opened once, each of its rules followed there
        w = opened(folder / page, root=folder)
        for href, anchor in targets:
            w.page.goto((folder / page).as_uri() + "#" + anchor)
            state = w.page.evaluate("""(id) => { const e = document.getElementById(id); if (!e) return null;
                const r = e.getBoundingClientRect(); return {top: r.top, height: window.innerHeight}; }""", anchor)
            if state is None:
                problems.append(f"{href}: no element with that id")
            elif not -2 <= state["top"] < state["height"]:  # scrolled to it (to the sub-pixel)
                problems.append(f"{href}: the evidence is not on screen after following the link ({state})")
        problems += [f"{page}: {p}" for p in w.problems]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("which", ["sample", "hostile"])
def test_the_overview_across_months_works_offline(request, which, visit, page_tools, artifacts):
    """<out>/index.html: loads with no request to another host and no console error, its charts are drawn,
    every month link opens, and nothing from the data runs as script."""
    rep = request.getfixturevalue(f"{which}_report")
    out = rep.folder.parent.resolve()
    path = out / "index.html"
    text = path.read_text(encoding="utf-8")
    v = visit(path, root=out, wait_ms=300)
    assert not v.problems, v.problems
    expected, rendered, problems = page_tools.chart_problems(v, text)
    assert expected == 2 and rendered == 2 and not problems, problems
    links = v.page.evaluate("() => Array.from(document.querySelectorAll('table.months a')).map(a => a.href)")
    assert links == [(rep.folder / "index.html").as_uri()]
    w = visit(rep.folder / "index.html", root=out)
    assert not w.problems and w.page.evaluate("() => typeof window.__pwned") == "undefined"
    assert v.page.evaluate("() => typeof window.__pwned") == "undefined"
    v.page.screenshot(path=str(artifacts / "screenshots" / f"overview-{which}.png"), full_page=True)
