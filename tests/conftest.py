"""Shared, session-scoped fixtures: the expensive things are built once per test session.

- ``sample_db`` / ``sample_report``: ``data_samples/`` loaded with ``load.load_to_file`` and the monthly
  report run on it once, in a tmp dir;
- ``hostile_set`` / ``hostile_report``: the hostile source of ``tests/hostile.py`` and its report;
- ``browser``: Debian's chromium driven by playwright (skipped, never passed, when chromium is absent);
- ``visit``: open a page from disk, recording every request, console error, page error and failure.

Other test files reuse these; the report runs at most twice per session (sample and hostile).
Environment: GDPR_TEST_SAMPLE names another sample folder, GDPR_TEST_MONTH another month of it.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote, urlparse

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data_samples"
ARTIFACTS = REPO / "test-artifacts"  # gitignored: screenshots, PDFs
DEFAULT_MONTH = "2026-10"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Every JVM a test starts (the local Spark session, spark-submit, a Connect server, a standalone cluster)
# compiles with the quick JIT only and collects garbage on one thread: the tests' queries are small, and
# this halves the CPU the Spark tests take on 2 cores. The product keeps the JVM's defaults.
os.environ.setdefault("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")

if str(Path(__file__).resolve().parent) not in sys.path:  # `import hostile` from any test file
    sys.path.insert(0, str(Path(__file__).resolve().parent))


# -- engines ------------------------------------------------------------------------------------


def in_ci() -> bool:
    """CI sets CI (.ci/run: CI=1; the workplace's runner: CI=true): there a Spark test never skips."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def spark():
    """The test session's one local Spark session (the Spark engine's; each engine opens its own session
    on it). Skipped where Java or pyspark is missing, unless in CI, where that fails the test."""
    from gdpr_analytics.engines.spark import session

    why = session.unavailable()
    if why:
        if in_ci():
            pytest.fail(f"the Spark engine cannot run in CI: {why}")
        pytest.skip(f"the Spark engine cannot run here: {why}")
    # This session runs the many tiny queries of the rule, coverage and parity tests in this process:
    # expressions interpreted instead of compiled, and no adaptive re-planning, cost a fifth less CPU there
    # (tests/analysis/test_rules_retention.py -k spark: 116 -> 92 CPU-s) and give the same answers (the parity
    # tests compare bytes with DuckDB). The commands the tests run as processes (report/findings --engine
    # spark, the Spark Connect server) keep Spark's defaults, as the product does: the variable is set only
    # while this JVM starts.
    before = os.environ.get("PYSPARK_SUBMIT_ARGS")
    os.environ["PYSPARK_SUBMIT_ARGS"] = ("--conf spark.sql.codegen.wholeStage=false --conf "
                                         "spark.sql.codegen.factoryMode=NO_CODEGEN --conf "
                                         "spark.sql.adaptive.enabled=false pyspark-shell")
    try:
        return session.local_session()
    finally:
        if before is None:
            os.environ.pop("PYSPARK_SUBMIT_ARGS", None)
        else:
            os.environ["PYSPARK_SUBMIT_ARGS"] = before


@pytest.fixture(params=["duckdb", "spark"])
def rule_engine(request):
    """Run a test on each engine: tests/sources.py's evaluate_source and found use it."""
    import sources

    if request.param == "spark":
        request.getfixturevalue("spark")
    sources.ENGINE = request.param
    try:
        yield request.param
    finally:
        sources.ENGINE = "duckdb"
        sources.close_spark()


def _uses_spark(item) -> bool:
    """A test that starts a JVM: it asks for the Spark session, runs a rule on the Spark engine, or is one
    of the Spark engine's own files (parity, Spark Connect)."""
    name = item.nodeid.split("::")[0].rsplit("/", 1)[-1]
    params = getattr(getattr(item, "callspec", None), "params", {})
    return "spark" in getattr(item, "fixturenames", ()) or "spark" in params.values() \
        or name.startswith("test_spark")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    """How `make test` (`-n 2 --dist loadgroup`) shares the work between its two xdist workers:
    - every test that starts a JVM runs on one worker: one warm JVM instead of one per worker fighting for
      the two cores; they are scheduled first, since together they are the longest group;
    - every other test runs with the rest of its file: a file's module-scoped fixtures (a report, an
      executed notebook, a running JupyterLab) are built once, not once per worker that gets one of its tests;
    - the longest groups go first (the JVM tests, then the files with a test marked slow), so that the run
      does not end with one worker on a long file and the other idle (Makefile: --no-loadscope-reorder keeps
      this order instead of xdist's, by number of tests).
    """
    slow_files = set()
    for item in items:
        file = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group("spark" if _uses_spark(item) else file))
        if item.get_closest_marker("slow"):
            slow_files.add(file)
    items.sort(key=lambda item: (not _uses_spark(item), item.nodeid.split("::")[0] not in slow_files))


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice's soffice, to open a workbook as the authority would (register.xlsx). Skipped where it
    is missing, unless in CI (.ci/run installs Debian's libreoffice-calc-nogui), where that fails the test."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        why = "LibreOffice is not installed: apt-get install -y --no-install-recommends libreoffice-calc-nogui"
        if in_ci():
            pytest.fail(f"register.xlsx cannot be opened in LibreOffice in CI: {why}")
        pytest.skip(why)
    return exe


# -- reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One report run: its month folder <out>/<YYYY-MM>/ and what it was built from."""

    label: str  # "sample" or "hostile"
    folder: Path
    month: str
    source: Path
    db: Path

    @property
    def pages(self) -> list[Path]:
        """The auditor HTML pages: index.html first, then every other top-level page by name."""
        pages = sorted(p for p in self.folder.glob("*.html") if p.name != "index.html")
        index = self.folder / "index.html"
        return ([index] if index.exists() else []) + pages

    @property
    def auditor_files(self) -> list[Path]:
        """Everything in the month folder meant for auditors: all files except notebooks/."""
        return sorted(p for p in self.folder.rglob("*")
                      if p.is_file() and "notebooks" not in p.relative_to(self.folder).parts)


def _month_of(db: Path) -> str:
    """GDPR_TEST_MONTH, else the last month the data covers."""
    if os.environ.get("GDPR_TEST_MONTH"):
        return os.environ["GDPR_TEST_MONTH"]
    from sources import connect

    from gdpr_analytics.analysis.context import Coverage

    with connect(db) as engine:
        return Coverage.of(engine).last_month().label


def _run_report(label: str, source: Path, db: Path, month: str, out: Path) -> Report:
    from sources import connect, context

    from gdpr_analytics.report.build import run_report

    with connect(db) as engine:
        folder = Path(run_report(engine, context(engine, month), out=out))
    if folder.name != month and (folder / month).is_dir():  # accept <out> as well as <out>/<month>
        folder = folder / month
    assert (folder / "index.html").is_file(), f"{label} report has no index.html in {folder}"
    return Report(label, folder, month, source, db)


@pytest.fixture(scope="session")
def sample_source() -> Path:
    """data_samples/ (or the folder named by GDPR_TEST_SAMPLE)."""
    folder = Path(os.environ.get("GDPR_TEST_SAMPLE") or SAMPLE_DIR)
    if not any((folder / f"customers{s}").exists() for s in (".csv", ".csv.gz", ".parquet")) \
            and not (folder / "customers").is_dir():
        pytest.skip(f"{folder} holds no customers table (make sample)")
    return folder


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where what every xdist worker of this run shares is built: the parent of the workers' own folders
    (the session's folder itself without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _shared(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]):
    """What `build(folder)` returns, built once per test run whatever the number of xdist workers: the
    first worker to ask builds it under a lock (the others wait, without spending CPU, then read the
    pickled answer). Only for what tests read and never change: the loaded sample, its report, the
    hostile set and its report."""
    root = _shared_root(tmp_path_factory)
    folder, answer = root / f"shared-{name}", root / f"shared-{name}.pickle"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not answer.is_file():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                answer.write_bytes(pickle.dumps(build(folder)))
            return pickle.loads(answer.read_bytes())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def sample_db(sample_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gdpr_analytics.ingest.load import load_to_file

    def build(folder: Path) -> Path:
        load_to_file(sample_source, folder / "sample.duckdb", show=False)
        return folder / "sample.duckdb"

    return _shared(tmp_path_factory, f"sample-db-{_label(sample_source)}", build)


@pytest.fixture(scope="session")
def sample_report(sample_source: Path, sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _shared(tmp_path_factory, f"sample-report-{_label(sample_source)}",
                   lambda out: _run_report("sample", sample_source, sample_db, _month_of(sample_db), out))


@pytest.fixture(scope="session")
def hostile_set(tmp_path_factory: pytest.TempPathFactory):
    import hostile

    return _shared(tmp_path_factory, "hostile-source", hostile.build)


@pytest.fixture(scope="session")
def hostile_db(hostile_set, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gdpr_analytics.ingest.load import load_to_file

    def build(folder: Path) -> Path:
        load_to_file(hostile_set.source, folder / "hostile.duckdb", show=False)
        return folder / "hostile.duckdb"

    return _shared(tmp_path_factory, "hostile-db", build)


@pytest.fixture(scope="session")
def hostile_report(hostile_set, hostile_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _shared(tmp_path_factory, "hostile-report",
                   lambda out: _run_report("hostile", hostile_set.source, hostile_db, hostile_set.month, out))


def _label(folder: Path) -> str:
    """A name for a sample folder (GDPR_TEST_SAMPLE may name another) and month, safe in a file name."""
    import hashlib

    text = f"{folder.resolve()}|{os.environ.get('GDPR_TEST_MONTH', '')}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pdf").mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# -- browser ------------------------------------------------------------------------------------


def chromium_executable() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    exe = chromium_executable()
    if exe is None:
        pytest.skip("chromium not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    # launch() gives the browser a fresh temporary user-data-dir of its own (playwright refuses a
    # --user-data-dir argument here), so no profile, cache or extension of the machine is used.
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def request_allowed(url: str, root: Path) -> bool:
    """data: and blob: URLs, and file:// URLs inside root (the report's month folder)."""
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob") or url == "about:blank":
        return True
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parsed.path)).resolve()
    return path == root.resolve() or root.resolve() in path.parents


@dataclass
class Visit:
    """One page opened in the browser, and everything that happened while it loaded."""

    path: Path
    root: Path
    page: object  # playwright Page, open until the test ends
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    outside: list[str] = field(default_factory=list)  # requests to another host or outside root (blocked)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # resources that failed to load
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt opened by the page

    @property
    def problems(self) -> list[str]:
        return ([f"request outside the report: {u}" for u in self.outside]
                + [f"console error: {m}" for m in self.console_errors]
                + [f"page error: {m}" for m in self.page_errors]
                + [f"failed resource: {m}" for m in self.failed]
                + [f"dialog: {m}" for m in self.dialogs])


#: Runs before any script of the page: it defines nothing the payloads set (window.__pwned stays undefined
#: unless a payload runs) and makes sure no earlier state leaks in.
INIT_SCRIPT = "try { delete window.__pwned; } catch (e) {}"


class Browsing:
    """Pages opened in `browser`, each in a fresh context, closed together by close()."""

    def __init__(self, browser):
        self.browser = browser
        self.contexts: list = []

    def __call__(self, path: Path, root: Path | None = None, wait_ms: int = 0,
                 viewport: dict | None = None) -> Visit:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        path = Path(path).resolve()
        root = Path(root or path.parent).resolve()
        context = self.browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                           service_workers="block", accept_downloads=False)
        self.contexts.append(context)
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        v = Visit(path, root, page)

        def on_route(route):
            url = route.request.url
            if request_allowed(url, root):
                route.continue_()
            else:
                route.abort("blockedbyclient")

        context.route("**/*", on_route)
        page.on("request", lambda r: (v.requests.append(r.url),
                                      None if request_allowed(r.url, root) else v.outside.append(r.url)))
        page.on("requestfailed", lambda r: v.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: v.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
        page.on("console", lambda m: v.console_errors.append(f"{m.text} @ {m.location}") if m.type == "error"
                else None)
        page.on("pageerror", lambda e: v.page_errors.append(str(e)))

        def on_dialog(d):
            v.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", on_dialog)
        page.goto(path.as_uri(), wait_until="load")
        try:  # blocked requests can keep "networkidle" from ever coming; "load" is what matters
            page.wait_for_load_state("networkidle", timeout=5_000)
        except PlaywrightTimeout:
            pass
        if wait_ms:
            page.wait_for_timeout(wait_ms)
        return v

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def visit(browser) -> Iterator[Callable[..., Visit]]:
    """visit(path, root=path.parent, wait_ms=0) -> Visit: open a file:// page in a fresh context."""
    browsing = Browsing(browser)
    yield browsing
    browsing.close()


@pytest.fixture(scope="module")
def opened(browser) -> Iterator[Callable[..., Visit]]:
    """opened(path, root) -> Visit: the page as `visit(path, root, wait_ms=300)` opens it, opened once for
    the module and shared by its tests. Loading a report page (4.8 MB of plotly.js) is most of a browser
    test's cost; tests that only read a page, follow its in-page links or screenshot it share one load.
    What a load reported (requests, errors) is the load's, whichever test asked first."""
    browsing = Browsing(browser)
    seen: dict[tuple[Path, Path], Visit] = {}

    def _opened(path: Path, root: Path | None = None) -> Visit:
        key = (Path(path).resolve(), Path(root or Path(path).parent).resolve())
        if key not in seen:
            seen[key] = browsing(*key, wait_ms=300)
        return seen[key]

    yield _opened
    browsing.close()


# -- what a page shows ----------------------------------------------------------------------------

_NEW_PLOT = re.compile(r"""Plotly\.(?:newPlot|react)\(\s*["']([^"']+)["']\s*,\s*""")


def plotly_figures(page_html: str) -> dict[str, int]:
    """{div id: number of traces} read from the figure JSON of every Plotly.newPlot call in the page."""
    decoder = json.JSONDecoder()
    found: dict[str, int] = {}
    for m in _NEW_PLOT.finditer(page_html):
        try:
            data, _ = decoder.raw_decode(page_html, m.end())
        except json.JSONDecodeError:
            continue  # a call inside plotly.js itself, not a figure
        if isinstance(data, list):
            found[m.group(1)] = len(data)
    return found


CHART_STATE_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div, .js-plotly-plot')).map(gd => {
  const r = gd.getBoundingClientRect();
  return {id: gd.id, plotted: gd.classList.contains('js-plotly-plot'),
          data: (gd.data || []).length, fullData: (gd._fullData || []).length,
          calcdata: (gd.calcdata || []).length,
          svgs: gd.querySelectorAll('svg.main-svg').length,
          traceGroups: gd.querySelectorAll('svg.main-svg g.trace, svg.main-svg g.hm, svg.main-svg g.table').length,
          width: r.width, height: r.height};
})"""


def chart_problems(visit: "Visit", page_html: str) -> tuple[int, int, list[str]]:
    """(charts expected, charts rendered, problems): every figure of the page's JSON is a plotted div
    with an SVG, a size, and the number of traces its JSON declares."""
    expected = plotly_figures(page_html)
    states = {s["id"]: s for s in visit.page.evaluate(CHART_STATE_JS)}
    problems, rendered = [], 0
    for div_id, n in expected.items():
        s = states.get(div_id)
        if s is None:
            problems.append(f"chart {div_id}: no div in the page")
            continue
        why = []
        if not s["plotted"]:
            why.append("not plotted (no .js-plotly-plot)")
        if s["svgs"] < 1:
            why.append("no svg.main-svg")
        if s["data"] != n or s["fullData"] != n:
            why.append(f"{s['data']} traces in gd.data, {s['fullData']} in gd._fullData, JSON has {n}")
        if n and s["calcdata"] != n:
            why.append(f"{s['calcdata']} traces calculated of {n}")
        if s["width"] < 50 or s["height"] < 50:
            why.append(f"size {s['width']:.0f}x{s['height']:.0f}")
        if why:
            problems.append(f"chart {div_id}: " + "; ".join(why))
        else:
            rendered += 1
    for div_id, s in states.items():
        if div_id not in expected:
            problems.append(f"chart {div_id}: a plotly div with no figure JSON in the page")
    return len(expected), rendered, problems


def pdf_page_count(data: bytes) -> int:
    """Pages of a PDF, counted from its page objects (Chromium writes uncompressed object headers)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


@pytest.fixture(scope="session")
def tmp_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder for small static pages (harness self-tests)."""
    return tmp_path_factory.mktemp("static-pages")


@pytest.fixture(scope="session")
def page_tools():
    """The page helpers above, for test files (fixtures, not imports, so conftest stays conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(plotly_figures=plotly_figures, chart_problems=chart_problems,
                           chart_state_js=CHART_STATE_JS, pdf_page_count=pdf_page_count,
                           request_allowed=request_allowed, init_script=INIT_SCRIPT)


@pytest.fixture(scope="session", autouse=True)
def every_summary_follows_the_schema(tmp_path_factory: pytest.TempPathFactory):
    """After the whole session: every summary.json any test produced validates against
    docs/summary.schema.json (each is also validated as it is written)."""
    yield
    from gdpr_analytics.report import summary

    base = tmp_path_factory.getbasetemp()
    found = sorted(base.rglob("summary.json"))
    if os.environ.get("PYTEST_XDIST_WORKER") == "gw0":  # the workers' shared folders, checked by one of them
        found += sorted(p for d in _shared_root(tmp_path_factory).glob("shared-*") for p in d.rglob("summary.json"))
    for path in found:
        summary.validate(json.loads(path.read_text(encoding="utf-8")))
    if found:
        print(f"\n{len(found)} summary.json file(s) produced by the tests follow docs/summary.schema.json")
